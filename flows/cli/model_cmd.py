"""``maskloop model``: Model versions: list, promote (audited)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Model versions: list, promote (audited).", no_args_is_help=True)
