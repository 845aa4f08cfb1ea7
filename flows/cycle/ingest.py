"""Ingest videos into a dataset (one task per video, retried: it is I/O), optionally with
ground-truth object-id maps (uint8 [T, H, W] per sampled frame, e.g. from a ``.npz`` with key
``id_maps``) registered atomically with the video as accepted ``ground_truth`` masklets.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from prefect import flow, task
from prefect.cache_policies import NONE

from flows.cycle.runtime import call
from flows.cycle.workspace import Workspace, open_workspace
from flows.errors import InvalidInputError
from flows.settings import Settings


@dataclass(frozen=True)
class IngestItem:
    """A video file (or frame folder) and, optionally, a ``.npz`` holding its ``id_maps``."""

    path: str
    ground_truth: str | None = None


@dataclass(frozen=True)
class Ingested:
    """One ingested video: its catalog id, status and ground-truth masklets added."""

    name: str
    video_id: int
    status: str
    n_ground_truth: int


def ingest_one(ws: Workspace, item: IngestItem, *, dataset: str) -> Ingested:
    """Ingest one item (idempotent: a video already in the dataset is reported, not redone)."""
    from storage.catalog.videos import find_video
    from storage.importers.gt_masklets import register_with_ground_truth, store_id_map_masklets
    from storage.importers.video_importer import ingest_into_catalog
    from storage.media.ingest import content_sha256, ingest_video

    path = Path(item.path)
    if item.ground_truth is None:
        out = ingest_into_catalog(path, dataset=dataset, fps=ws.settings.sample_fps, catalog=ws.catalog,
                                  store=ws.store, **ws.who)
        return Ingested(path.name, out.video.id, out.status, 0)
    existing = find_video(ws.catalog, dataset, content_sha256(path))
    if existing is not None:
        return Ingested(path.name, existing.id, "already ingested", 0)
    with np.load(item.ground_truth) as data:
        id_maps = data["id_maps"]
    new = ingest_video(path, dataset=dataset, fps=ws.settings.sample_fps, store=ws.store)
    if len(id_maps) != new.n_frames or tuple(id_maps.shape[1:]) != (new.height, new.width):
        raise InvalidInputError(f"{item.ground_truth}: id_maps {id_maps.shape} do not match the {new.n_frames} "
                                f"sampled {new.height}x{new.width} frames of {path.name}")
    stored = store_id_map_masklets(video_sha256=new.sha256, id_maps=list(id_maps), store=ws.store)
    ref = register_with_ground_truth(ws.catalog, new, stored, **ws.who)
    return Ingested(path.name, ref.id, "ingested", len(stored))


@task(retries=2, retry_delay_seconds=2, cache_policy=NONE)
def ingest_task(ws: Workspace, item: IngestItem, dataset: str) -> Ingested:
    return ingest_one(ws, item, dataset=dataset)


@flow(name="ingest")
def ingest(dataset: str, items: list[IngestItem], settings: Settings | None = None) -> list[Ingested]:
    """Ingest every item into ``dataset`` (one task per video)."""
    with open_workspace(settings) as ws:
        return [call(ingest_task, ws, item, dataset) for item in items]
