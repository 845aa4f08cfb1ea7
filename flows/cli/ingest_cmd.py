"""``maskloop ingest``: decode videos or frame folders into the catalog and object store."""

from __future__ import annotations

from pathlib import Path

import typer

from flows.errors import FlowError


def ingest(
    ctx: typer.Context,
    paths: list[Path] = typer.Argument(..., help="Video files (mp4, mov, mkv, avi) or folders of frames."),
    dataset: str = typer.Option(..., "--dataset", "-d", help="Dataset name (created if new)."),
    fps: float | None = typer.Option(None, "--fps", help="Frames per second to keep (default MASKLOOP_SAMPLE_FPS)."),
) -> None:
    """Ingest videos: sample frames, store them as JPEG, register them de-identified."""
    raise FlowError("ingest is not available in this build yet (Storage issue)")
