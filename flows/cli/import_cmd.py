"""``maskloop import``: Import annotated datasets (DAVIS layout, SA-V JSON) with their ground truth."""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli.context import settings_of

app = typer.Typer(help="Import annotated datasets (DAVIS layout, SA-V JSON) with their ground truth.", no_args_is_help=True)


@app.command("davis")
def import_davis_cmd(
    ctx: typer.Context,
    root: Path = typer.Argument(..., help="DAVIS root holding JPEGImages/480p/<seq> (and Annotations/480p/<seq>)."),
    dataset: str = typer.Option(..., "--dataset", "-d", help="Dataset name (created if new)."),
    with_gt: bool = typer.Option(False, "--with-gt", help="Also import Annotations/480p as ground-truth masklets."),
    sequences: str | None = typer.Option(None, "--sequences", help="Comma-separated sequence names (default: all)."),
    fps: float = typer.Option(24.0, "--fps", help="Frame rate of the sequences (DAVIS: 24)."),
) -> None:
    """Import DAVIS sequences as videos (every frame kept), optionally with their masks as ground truth."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from flows.cli.ingest_cmd import report_item_error
    from flows.services import actor_of, object_store, open_catalog
    from storage.importers.davis_importer import import_davis

    settings = settings_of(ctx)
    wanted = [s.strip() for s in sequences.split(",") if s.strip()] if sequences else None
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    console = Console(stderr=True)
    bar = Progress(*columns, console=console, transient=True, disable=not console.is_terminal)
    with open_catalog(settings) as catalog, bar:

        def progress_for(sequence: str):
            task = bar.add_task(sequence, total=None)
            return lambda done, total: bar.update(task, completed=done, total=total)

        outcomes = import_davis(
            root, dataset=dataset, catalog=catalog, store=object_store(settings), with_gt=with_gt,
            actor=actor_of(settings), role=settings.role, sequences=wanted, fps=fps, progress=progress_for,
        )
    failures: list[int] = []
    for o in outcomes:
        if o.error is not None:
            failures.append(report_item_error(o.name, o.error))
        elif o.status == "ingested":
            typer.echo(f"imported: {o.name} -> video {o.video.id}, {o.video.n_frames} frames, "
                       f"{o.n_masklets} ground-truth masklets")
        else:
            typer.echo(f"already ingested: {o.name} (video {o.video.id})")
    if failures:
        raise typer.Exit(failures[0])


@app.command("sav")
def import_sav_cmd(
    ctx: typer.Context,
    json_path: Path = typer.Argument(..., metavar="JSON", help="SA-V annotation file (e.g. sav_000001_manual.json)."),
    video: Path = typer.Option(..., "--video", help="The video file the annotations belong to."),
    dataset: str = typer.Option(..., "--dataset", "-d", help="Dataset name (created if new)."),
    stride: int = typer.Option(4, "--stride", min=1, help="Video frames per annotated frame (SA-V: 4)."),
) -> None:
    """Import a video with its SA-V masklets as ground truth (frames kept at the annotation rate)."""
    from flows.services import actor_of, object_store, open_catalog
    from storage.importers.sav_importer import import_sav

    settings = settings_of(ctx)
    with open_catalog(settings) as catalog:
        outcome = import_sav(json_path, video=video, dataset=dataset, catalog=catalog, store=object_store(settings),
                             actor=actor_of(settings), role=settings.role, annotation_stride=stride)
    if outcome.status == "already ingested":
        typer.echo(f"already ingested: {outcome.name} (video {outcome.video.id})")
    else:
        typer.echo(f"imported: {outcome.name} -> video {outcome.video.id}, {outcome.video.n_frames} frames, "
                   f"{outcome.n_masklets} ground-truth masklets")
