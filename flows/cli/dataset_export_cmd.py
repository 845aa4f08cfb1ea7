"""``maskloop dataset export``: write a dataset version as SA-V JSON, DAVIS PNGs or COCO.

Registered on the ``dataset`` group by importing this module (flows/cli/groups.py does).
"""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli.context import settings_of
from flows.cli.dataset_cmd import app


@app.command("export")
def export(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="NAME@N", help="Dataset version to export."),
    out: Path = typer.Argument(..., help="New (or empty) folder to write into."),
    fmt: str = typer.Option("sav", "--format", "-f", help="sav, davis or coco."),
) -> None:
    """Export a dataset version with its frames (formats: sav, davis, coco)."""
    from flows.services import object_store, open_catalog
    from storage.errors import InvalidInputError
    from storage.exporters.version_exporter import FORMATS, export_version

    if fmt not in FORMATS:
        raise InvalidInputError(f"unknown --format {fmt!r}; use one of {', '.join(FORMATS)}")
    settings = settings_of(ctx)
    with open_catalog(settings) as catalog:
        summary = export_version(catalog, object_store(settings), ref, fmt=fmt, out=out)  # type: ignore[arg-type]
    typer.echo(f"exported {summary.version} as {summary.fmt} to {summary.out}: {summary.n_videos} videos, "
               f"{summary.n_masklets} masklets, {summary.n_frames} frames")
