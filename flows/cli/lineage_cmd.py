"""``maskloop lineage``: Where a masklet, video, dataset version or model came from (and what came from it)."""

from __future__ import annotations

import math
from enum import Enum
from pathlib import Path

import typer

from flows.cli.context import settings_of

app = typer.Typer(
    help="Where a masklet, video, dataset version or model came from (and what came from it).",
    no_args_is_help=True,
)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


FORMAT_OPTION = typer.Option(OutputFormat.table, "--format", "-f", help="Output: table, json or csv.")


def print_frame(frame, fmt: OutputFormat, *, title: str | None = None) -> None:
    """Print a DataFrame as a rich table, JSON records or CSV on stdout."""
    import sys

    if fmt == OutputFormat.json:
        sys.stdout.write(frame.to_json(orient="records", date_format="iso", indent=2) + "\n")
        return
    if fmt == OutputFormat.csv:
        frame.to_csv(sys.stdout, index=False)
        return
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for column in frame.columns:
        table.add_column(str(column), overflow="fold")
    for values in frame.itertuples(index=False):
        table.add_row(*("" if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else str(v)
                        for v in values))
    Console(width=None if sys.stdout.isatty() else 200).print(table)


def _show(ctx: typer.Context, query, subject, fmt: OutputFormat, title: str) -> None:
    from flows.cli.db_cmd import open_catalog

    catalog = open_catalog(settings_of(ctx), write=False)
    try:
        frame = query(catalog, subject)
    finally:
        catalog.close()
    print_frame(frame, fmt, title=title)


@app.command("masklet")
def masklet(ctx: typer.Context, masklet_id: int = typer.Argument(..., help="Masklet id."), fmt: OutputFormat = FORMAT_OPTION) -> None:
    """Video, generator model and params, round, every revision and review, versions, runs, models."""
    from storage.lineage.queries import lineage_of_masklet

    _show(ctx, lineage_of_masklet, masklet_id, fmt, f"lineage of masklet {masklet_id}")


@app.command("video")
def video(ctx: typer.Context, video_id: int = typer.Argument(..., help="Video id."), fmt: OutputFormat = FORMAT_OPTION) -> None:
    """Everything derived from a video (frames, masklets, blobs, reviews, versions, runs, models)."""
    from storage.lineage.queries import lineage_of_video

    _show(ctx, lineage_of_video, video_id, fmt, f"everything derived from video {video_id}")


@app.command("dataset")
def dataset(ctx: typer.Context, ref: str = typer.Argument(..., help="Dataset version NAME@N."), fmt: OutputFormat = FORMAT_OPTION) -> None:
    """Videos, masklets by origin and verdict, reviewers, models trained on a dataset version."""
    from storage.lineage.queries import lineage_of_dataset

    _show(ctx, lineage_of_dataset, ref, fmt, f"lineage of {ref}")


class ModelFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    html = "html"


@app.command("model")
def model(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Model NAME@VERSION."),
    fmt: ModelFormat = typer.Option(ModelFormat.table, "--format", "-f",
                                    help="Output: table, json, csv, or html (a page with an SVG graph)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="With --format html: write the page here "
                                    "instead of stdout."),
) -> None:
    """Training run, dataset version, base models recursively, data composition (or a picture)."""
    from storage.lineage.queries import lineage_of_model

    if out is not None and fmt != ModelFormat.html:
        from flows.errors import InvalidInputError

        raise InvalidInputError("--out is for --format html; redirect stdout for the other formats")
    if fmt != ModelFormat.html:
        _show(ctx, lineage_of_model, ref, OutputFormat(fmt.value), f"lineage of model {ref}")
        return
    import sys

    from flows.api.lineage_page import model_lineage_page
    from flows.cli.db_cmd import open_catalog

    catalog = open_catalog(settings_of(ctx), write=False)
    try:
        page = model_lineage_page(catalog, ref)
    finally:
        catalog.close()
    if out is None:
        sys.stdout.write(page)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    typer.echo(f"wrote the lineage of model {ref} to {out}", err=True)
