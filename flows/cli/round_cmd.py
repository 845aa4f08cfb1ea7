"""``maskloop round``: Annotation rounds: create, run, schedule, status, report."""

from __future__ import annotations

import typer

app = typer.Typer(help="Annotation rounds: create, run, schedule, status, report.", no_args_is_help=True)
