"""``maskloop db``: Catalog schema migrations."""

from __future__ import annotations

import typer

app = typer.Typer(help="Catalog schema migrations.", no_args_is_help=True)
