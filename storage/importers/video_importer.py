"""Ingest one video file or frame folder into a dataset: frames first, catalog row last.

Order, for robustness: (1) hash the content and skip it when the dataset already has it
("already ingested", nothing created, nothing decoded); (2) decode and store every sampled frame
(write-once: an interrupted run leaves only frames a retry rewrites identically); (3) register
the catalog row. A crash never leaves a half-registered video.
"""

from __future__ import annotations

from pathlib import Path

from storage.catalog.catalog import Catalog
from storage.catalog.refs import check_name
from storage.catalog.videos import find_video, register_video
from storage.errors import ConflictError
from storage.importers.outcome import ImportOutcome
from storage.media.ingest import Progress, content_sha256, ingest_frame_folder, ingest_video
from storage.objects.object_store import ObjectStore


def ingest_into_catalog(
    path: Path, *, dataset: str, fps: float, catalog: Catalog, store: ObjectStore, actor: str, role: str,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Ingest ``path`` (video file, or folder of frames kept as they are at ``fps``) into ``dataset``.

    Raises InvalidInputError / NotFoundError for bad input (nothing registered then).
    """
    path = Path(path)
    check_name(dataset)  # before any work; the dataset row is created with the first video
    sha = content_sha256(path)
    existing = find_video(catalog, dataset, sha)
    if existing is not None:
        return ImportOutcome(name=path.name, status="already ingested", video=existing)
    if path.is_dir():
        new = ingest_frame_folder(path, dataset=dataset, fps=fps, store=store, progress=progress)
    else:
        new = ingest_video(path, dataset=dataset, fps=fps, store=store, progress=progress, sha256=sha)
    try:
        ref = register_video(catalog, new, actor=actor, role=role)
    except ConflictError:
        raced = find_video(catalog, dataset, sha)
        if raced is None:
            raise
        return ImportOutcome(name=path.name, status="already ingested", video=raced)
    return ImportOutcome(name=path.name, status="ingested", video=ref)
