"""``maskloop api``: The read-only auditor API service and its tokens."""

from __future__ import annotations

import typer

app = typer.Typer(help="The read-only auditor API service and its tokens.", no_args_is_help=True)
