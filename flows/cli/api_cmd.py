"""``maskloop api``: The read-only auditor API service and its tokens.

- ``serve [--host 127.0.0.1] [--port 8700]``: run the API (uvicorn) on the configured catalog,
  through the SELECT-only ``maskloop_auditor`` connection when ``MASKLOOP_AUDITOR_DATABASE_URL`` is
  set (see :mod:`flows.api.backend`).
- ``token create --role ROLE --name NAME``: print a new token ONCE (only its sha256 is stored).
- ``token revoke NAME``, ``token list`` (names, roles, dates; never secrets).
Creating and revoking tokens are audited catalog changes: refused for the auditor role; minting
or revoking an admin token needs ``MASKLOOP_ROLE=admin``.
"""

from __future__ import annotations

from enum import Enum

import typer

from flows.cli.context import settings_of

app = typer.Typer(help="The read-only auditor API service and its tokens.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens: create (shown once), revoke, list.", no_args_is_help=True)
app.add_typer(token_app, name="token")


class ApiRole(str, Enum):
    auditor = "auditor"
    data_manager = "data_manager"
    ml_engineer = "ml_engineer"
    admin = "admin"


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (default: loopback only)."),
    port: int = typer.Option(8700, "--port", min=1, max=65535, help="TCP port."),
) -> None:
    """Serve the read-only API (OpenAPI spec at /openapi.json) until Ctrl-C."""
    import uvicorn

    from flows.api.app import create_app

    application = create_app(settings_of(ctx))
    backend = application.state.backend
    mode = "SELECT-only auditor role" if backend.read_only else "catalog owner's connection (set " \
        "MASKLOOP_AUDITOR_DATABASE_URL to read as the SELECT-only maskloop_auditor)"
    if backend.catalog.engine.dialect.name == "sqlite":
        mode = "embedded SQLite catalog file"
    typer.echo(f"maskloop API on http://{host}:{port} reading {backend.description} ({mode})", err=True)
    uvicorn.run(application, host=host, port=port, log_level="info", server_header=False)


def _writer_catalog(ctx: typer.Context):
    from flows.cli.db_cmd import actor_of, open_catalog

    settings = settings_of(ctx)
    return open_catalog(settings, write=True), actor_of(settings), settings.role


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    role: ApiRole = typer.Option(..., "--role", help="auditor, data_manager, ml_engineer or admin."),
    name: str = typer.Option(..., "--name", help="Unique token name (recorded as the actor of its requests)."),
) -> None:
    """Create a token and print it once; store it in a secret manager, it cannot be shown again."""
    from storage.catalog.api_tokens import create_token

    catalog, actor, actor_role = _writer_catalog(ctx)
    try:
        new = create_token(catalog, name=name, role=role.value, actor=actor, actor_role=actor_role)
    finally:
        catalog.close()
    typer.echo(f"created API token {new.info.name!r} (role {new.info.role}); it is shown only now:", err=True)
    typer.echo(new.secret)


@token_app.command("revoke")
def token_revoke(ctx: typer.Context, name: str = typer.Argument(..., help="Token name.")) -> None:
    """Revoke a token: its next request gets 401."""
    from storage.catalog.api_tokens import revoke_token

    catalog, actor, actor_role = _writer_catalog(ctx)
    try:
        info = revoke_token(catalog, name=name, actor=actor, actor_role=actor_role)
    finally:
        catalog.close()
    typer.echo(f"revoked API token {info.name!r} (role {info.role})")


@token_app.command("list")
def token_list(ctx: typer.Context) -> None:
    """Every token: name, role, created, by whom, revoked (no secrets, no hashes)."""
    import pandas as pd

    from flows.cli.db_cmd import open_catalog
    from flows.cli.lineage_cmd import OutputFormat, print_frame
    from storage.catalog.api_tokens import list_tokens

    catalog = open_catalog(settings_of(ctx), write=False)
    try:
        tokens = list_tokens(catalog)
    finally:
        catalog.close()
    frame = pd.DataFrame([(t.name, t.role, t.created_at.isoformat(), t.created_by,
                           t.revoked_at.isoformat() if t.revoked_at else "") for t in tokens],
                         columns=["name", "role", "created_at", "created_by", "revoked_at"])
    print_frame(frame, OutputFormat.table, title="API tokens")
