"""``maskloop import``: Import annotated datasets (DAVIS layout, SA-V JSON) with their ground truth."""

from __future__ import annotations

import typer

app = typer.Typer(help="Import annotated datasets (DAVIS layout, SA-V JSON) with their ground truth.", no_args_is_help=True)
