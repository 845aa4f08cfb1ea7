"""``maskloop dataset``: Immutable dataset versions: commit, list, show, diff, export."""

from __future__ import annotations

import typer

app = typer.Typer(help="Immutable dataset versions: commit, list, show, diff, export.", no_args_is_help=True)
