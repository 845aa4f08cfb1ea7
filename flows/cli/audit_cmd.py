"""``maskloop audit``: The append-only, hash-chained audit trail: show, verify."""

from __future__ import annotations

import typer

app = typer.Typer(help="The append-only, hash-chained audit trail: show, verify.", no_args_is_help=True)
