"""``maskloop review``: Review of masklets in Label Studio: open, sync, close."""

from __future__ import annotations

import typer

app = typer.Typer(help="Review of masklets in Label Studio: open, sync, close.", no_args_is_help=True)
