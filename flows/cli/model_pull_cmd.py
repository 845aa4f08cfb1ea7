"""``maskloop model pull``: download a SAM 2.1 checkpoint, verify it, cache it, register it.

Registered on the ``model`` group by importing this module (flows/cli/groups.py does).
"""

from __future__ import annotations

import json

import typer

from flows.cli.context import settings_of
from flows.cli.model_cmd import app


@app.command("pull")
def pull(
    ctx: typer.Context,
    checkpoint: str = typer.Argument(
        ..., metavar="CHECKPOINT", help="sam2.1-tiny, sam2.1-small, sam2.1-base+ or sam2.1-large."),
    sha256: str | None = typer.Option(None, "--sha256", metavar="HEX",
                                      help="Expected sha256 (default: the published digest pinned "
                                      "in maskloop); needed for a mirror serving another file."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Download a SAM 2.1 checkpoint, check its sha256, cache and register it (backend sam2).

    From MASKLOOP_SAM2_CHECKPOINT_BASE_URL (Meta's release by default) into MASKLOOP_HOME; the
    registered uri is sam2:<size>:<cached file>. Pulling again downloads and registers nothing.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from flows.programs.model_pull import pull_sam2

    settings = settings_of(ctx)
    columns = (TextColumn("downloading"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
               TimeRemainingColumn())
    err = Console(stderr=True)  # a live bar only on a terminal (nothing stray in logs)
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("download", total=None)
        outcome = pull_sam2(settings, checkpoint, sha256=sha256,
                            progress=lambda done, total: bar.update(task, completed=done,
                                                                    total=total))
    if as_json:
        typer.echo(json.dumps({
            "name": outcome.name, "version": outcome.version, "uri": outcome.uri,
            "sha256": outcome.sha256, "bytes": outcome.n_bytes, "source": outcome.source,
            "downloaded": outcome.downloaded, "registered": outcome.registered}))
        return
    label = f"{outcome.name}@{outcome.version}"
    size = f"{outcome.n_bytes / 1e6:.1f} MB, sha256 {outcome.sha256[:12]}"
    if outcome.registered:
        how = "downloaded" if outcome.downloaded else "found in the cache"
        typer.echo(f"registered {label} ({how}, {size}): {outcome.uri}")
    else:
        typer.echo(f"already pulled: {label} ({size}): {outcome.uri}")
