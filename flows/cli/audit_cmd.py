"""``maskloop audit``: The append-only, hash-chained audit trail: show, verify."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import typer

from flows.cli.context import settings_of
from flows.cli.lineage_cmd import FORMAT_OPTION, OutputFormat, print_frame

app = typer.Typer(help="The append-only, hash-chained audit trail: show, verify, export.", no_args_is_help=True)


def _time(text: str | None, option: str):
    from datetime import datetime

    from storage.errors import InvalidInputError

    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInputError(f"{option} {text!r}: use an ISO date or time, e.g. 2026-11-21 or 2026-11-21T10:00") from exc
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


@app.command("show")
def show(
    ctx: typer.Context,
    actor: str | None = typer.Option(None, "--actor", help="Only events by this actor."),
    action: str | None = typer.Option(None, "--action", help="Only this action (prefix with a trailing *, e.g. masklet.*)."),
    entity: str | None = typer.Option(None, "--entity", help="Only this entity, e.g. masklet:42 (or masklet:*)."),
    since: str | None = typer.Option(None, "--since", help="From this UTC time (ISO), inclusive."),
    until: str | None = typer.Option(None, "--until", help="Up to this UTC time (ISO), exclusive."),
    limit: int = typer.Option(100, "--limit", help="At most this many (the newest) events."),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Audit events, oldest first, filtered."""
    from flows.cli.db_cmd import open_catalog
    from storage.audit.query import audit_events

    since_at, until_at = _time(since, "--since"), _time(until, "--until")
    catalog = open_catalog(settings_of(ctx), write=False)
    try:
        frame = audit_events(catalog, actor=actor, action=action, entity=entity, since=since_at, until=until_at,
                             limit=limit)
    finally:
        catalog.close()
    if fmt == OutputFormat.table:
        frame = frame.drop(columns=["prev_hash"]).assign(hash=frame["hash"].str[:12])
    print_frame(frame, fmt, title="audit trail")


@app.command("verify")
def verify(
    ctx: typer.Context,
    anchor: str | None = typer.Option(
        None, "--anchor", help="A head hash printed by an earlier verify; it must still be in the chain."),
) -> None:
    """Recompute the hash chain; exit 1 naming the first edited, deleted or reordered event."""
    from flows.cli.db_cmd import open_catalog
    from storage.audit.verify import verify_audit

    catalog = open_catalog(settings_of(ctx), write=False)
    try:
        check = verify_audit(catalog, anchor=anchor)
    finally:
        catalog.close()
    if check.ok:
        typer.echo(f"audit trail OK: {check.n_events} events, head {check.head_hash}")
        return
    typer.echo(f"audit trail BROKEN at event {check.first_broken_id}: {check.problem}", err=True)
    raise typer.Exit(code=1)


@app.command("export")
def export(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", help="JSON-lines file to write (one event per line, oldest first)."),
) -> None:
    """Export the whole audit trail with its head hash (keep it to detect deletion of newest events).

    With ``MASKLOOP_WORM_RETAIN_DAYS`` > 0 on S3, a copy also goes to the object-lock bucket as
    ``audit/exports/<head hash>.jsonl``, which nobody can delete before its retention ends.
    """
    from flows import services
    from flows.cli.db_cmd import open_catalog
    from storage.audit.query import audit_events
    from storage.audit.verify import verify_audit

    settings = settings_of(ctx)
    catalog = open_catalog(settings, write=False)
    try:
        check = verify_audit(catalog)
        frame = audit_events(catalog, limit=None)
    finally:
        catalog.close()
    data = frame.to_json(orient="records", lines=True, date_format="iso").encode()
    out.write_bytes(data)
    typer.echo(f"exported {len(frame)} events to {out}; head hash {check.head_hash}"
               + ("" if check.ok else f"; WARNING chain broken at event {check.first_broken_id}"))
    key = f"audit/exports/{check.head_hash}.jsonl"
    if services.write_once_worm(settings, services.object_store(settings), key, data,
                                content_type="application/x-ndjson"):
        typer.echo(f"WORM copy: s3://{settings.s3_worm_bucket}/{key} (retained {settings.worm_retain_days} days)")
