"""``maskloop db``: Catalog schema migrations (and the helpers other catalog commands share)."""

from __future__ import annotations

import typer

from flows.cli.context import settings_of
from flows.settings import Settings

app = typer.Typer(help="Catalog schema migrations.", no_args_is_help=True)


def actor_of(settings: Settings) -> str:
    """Actor recorded in the audit trail: MASKLOOP_ACTOR, else the OS user."""
    from flows import services

    return services.actor_of(settings)


def open_catalog(settings: Settings, *, write: bool):
    """Open the configured catalog; write commands are refused for the read-only auditor role."""
    from flows import services
    from storage.catalog.guard import check_writer

    if write:
        check_writer(actor_of(settings), settings.role)
    return services.open_catalog(settings)


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Migrate the catalog schema to the newest revision (needed once per PostgreSQL database)."""
    from storage.catalog.engine import check_reachable, make_engine
    from storage.catalog.guard import check_writer, db_errors
    from storage.migrations.runner import current_revision
    from storage.migrations.runner import upgrade as run_upgrade

    settings = settings_of(ctx)
    check_writer(actor_of(settings), settings.role)
    engine = make_engine(settings.catalog_url)
    try:
        check_reachable(engine)
        with db_errors("migrating the catalog"):
            before = current_revision(engine)
            after = run_upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        typer.echo(f"catalog already at revision {after}")
    else:
        typer.echo(f"catalog upgraded from {before or 'empty'} to {after}")


@app.command("current")
def current(ctx: typer.Context) -> None:
    """Print the catalog's schema revision and the one this maskloop needs."""
    from storage.catalog.engine import check_reachable, make_engine
    from storage.catalog.guard import db_errors
    from storage.migrations.runner import current_revision, head_revision

    settings = settings_of(ctx)
    engine = make_engine(settings.catalog_url)
    try:
        check_reachable(engine)
        with db_errors("reading the schema revision"):
            rev = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    state = "up to date" if rev == head else "run `maskloop db upgrade`"
    typer.echo(f"catalog revision: {rev or 'none'} (code needs {head}; {state})")


@app.command("create-auditor")
def create_auditor(
    ctx: typer.Context,
    password_env: str = typer.Option(..., "--password-env", help="Name of the environment variable holding the password."),
) -> None:
    """Give the SELECT-only PostgreSQL role maskloop_auditor a login with a password from VAR."""
    import os

    from storage.catalog.auditor import enable_auditor_login
    from storage.catalog.engine import check_reachable, make_engine
    from storage.catalog.guard import check_writer
    from storage.errors import InvalidInputError

    settings = settings_of(ctx)
    check_writer(actor_of(settings), settings.role)
    password = os.environ.get(password_env)
    if not password:
        raise InvalidInputError(f"environment variable {password_env} is not set or empty")
    engine = make_engine(settings.catalog_url)
    try:
        check_reachable(engine)
        enable_auditor_login(engine, password)
    finally:
        engine.dispose()
    typer.echo("role maskloop_auditor can now log in (SELECT only)")
