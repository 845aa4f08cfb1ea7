"""``maskloop ingest``: decode videos or frame folders into the catalog and object store.

Each path is handled on its own: a bad one prints one ``error: <name>: ...`` line and the
others are still ingested (nothing already stored is lost). The exit status is 0 when every path
was ingested or already there, else the exit code of the first failure (2 for bad input).
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from flows.cli.context import settings_of


def _printable(text: str) -> str:
    """``text`` with control characters escaped (a file name holding a newline stays on one line)."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def report_item_error(name: str, exc: Exception) -> int:
    """Print ``error: <name>: <first line>`` on stderr (name dropped when the message has it)."""
    shown = _printable(name)
    text = str(exc).strip().replace(name, shown) if name else str(exc).strip()
    name = shown
    message = text.splitlines()[0] if text else type(exc).__name__
    print(f"error: {message if name in message else f'{name}: {message}'}", file=sys.stderr)
    return int(getattr(exc, "exit_code", 1))


def ingest(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="Video files (mp4, mov, mkv, avi) or folders of frames."),
    dataset: str = typer.Option(..., "--dataset", "-d", help="Dataset name (created if new)."),
    fps: float | None = typer.Option(None, "--fps", help="Frames per second to keep (default MASKLOOP_SAMPLE_FPS)."),
) -> None:
    """Ingest videos: sample frames, store them as JPEG, register them de-identified.

    A folder of frames is stored frame by frame (every image kept, recorded at --fps). Each path
    is handled on its own: a bad one prints one error line, the others are still ingested; the
    exit status is that of the first failure (2 for bad input). Repeats print "already ingested".
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from flows.errors import InvalidInputError
    from flows.services import actor_of, object_store, open_catalog
    from storage.catalog.refs import check_name
    from storage.errors import StorageError
    from storage.importers.video_importer import ingest_into_catalog

    check_name(dataset)
    settings = settings_of(ctx)
    rate = fps if fps is not None else settings.sample_fps
    if rate <= 0:
        raise InvalidInputError(f"--fps must be > 0, got {rate}")
    actor, role = actor_of(settings), settings.role
    store = object_store(settings)
    failures: list[int] = []
    console = Console(stderr=True)
    with open_catalog(settings) as catalog:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
            for path in paths:
                task = bar.add_task(path.name, total=None)
                try:
                    outcome = ingest_into_catalog(
                        path, dataset=dataset, fps=rate, catalog=catalog, store=store, actor=actor, role=role,
                        progress=lambda done, total, task=task: bar.update(task, completed=done, total=total),
                    )
                except StorageError as exc:
                    bar.remove_task(task)
                    failures.append(report_item_error(path.name, exc))
                    if exc.exit_code == 5:  # the services are gone: the other paths would fail the same way
                        break
                    continue
                bar.remove_task(task)
                video = outcome.video
                if outcome.status == "already ingested":
                    typer.echo(f"already ingested: {path.name} (video {video.id})")
                else:
                    typer.echo(f"ingested: {path.name} -> video {video.id}, {video.n_frames} frames "
                               f"{video.width}x{video.height} at {video.fps:g} fps")
    if failures:
        raise typer.Exit(failures[0])
