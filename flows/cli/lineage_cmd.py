"""``maskloop lineage``: Where a masklet, video, dataset version or model came from (and what came from it)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Where a masklet, video, dataset version or model came from (and what came from it).", no_args_is_help=True)
