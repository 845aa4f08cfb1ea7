"""Generate masklets for ONE video of a round (the unit fanned out on the ``gpu`` work pool).

Idempotent: proposals are keyed by (round, video, generator model, params hash). A rerun finds
them and returns them without running the model; a crash before the catalog transaction leaves
only write-once blobs (content-addressed, harmless), never half a video's masklets.

Start-up cost: a worker starts every flow run in a fresh interpreter and imports this module
before the run is Running, so the module imports only Prefect and the parameter types; the
catalog (SQLAlchemy), the object store, numpy and the model (torch, sam2) are imported by the
flow body, which needs them. The body makes no Prefect API calls beyond the ``gpu`` slot: storing
the proposals is a plain function with its own retries, not a task (a task run costs several
API round trips per video for nothing a retry loop cannot do).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from prefect import flow

from flows.cycle.config import CycleConfig
from flows.settings import Settings

if TYPE_CHECKING:
    import numpy as np

    from flows.cycle.workspace import Workspace
    from storage.catalog.model_aliases import ModelInfo
    from storage.records import VideoRef

T = TypeVar("T")

#: Attempts at storing a video's proposals (blob puts + one catalog transaction) and the pause between.
STORE_ATTEMPTS = 3
STORE_RETRY_S = 2.0


@dataclass(frozen=True)
class GenerationResult:
    """Masklet ids of one video in a round; ``created`` False when a previous run made them."""

    round_id: int
    video_id: int
    masklet_ids: tuple[int, ...]
    created: bool


def params_hash(cfg: CycleConfig, model_ref: str) -> str:
    """sha256 of the generation parameters and the generator model (the idempotency key part)."""
    doc = json.dumps({"automask": cfg.automask_params(), "model": model_ref}, sort_keys=True)
    return hashlib.sha256(doc.encode()).hexdigest()


def propose(ws: Workspace, *, frames: np.ndarray, model_info: ModelInfo, cfg: CycleConfig) -> list:
    """Automatic masklets (model.automask MaskletProposal list) of uint8 [T, H, W, 3] frames."""
    from flows.cycle.champion import load_registered
    from flows.orchestration.gpu_slot import gpu_slot
    from model.automask.config import AutoMaskConfig
    from model.automask.masklets import generate_masklets

    with gpu_slot():
        model = load_registered(ws, model_info)
        proposals = generate_masklets(model, list(frames), AutoMaskConfig(
            points_per_layer=(cfg.points_per_side,), pred_iou_thresh=cfg.pred_iou_thresh,
            stability_score_thresh=cfg.stability_thresh, max_masks=cfg.max_masks,
            min_mask_region_area=cfg.min_region_area))
    return proposals


def with_retries(step: Callable[[], T], *, attempts: int = STORE_ATTEMPTS,
                 pause_s: float = STORE_RETRY_S) -> T:
    """``step()``, called again after ``pause_s`` seconds when it raises, at most ``attempts`` times
    in all (the last error propagates). Only for idempotent steps."""
    for attempt in range(1, attempts + 1):
        try:
            return step()
        except Exception:
            if attempt == attempts:
                raise
            time.sleep(pause_s)
    raise AssertionError("unreachable")  # pragma: no cover


def store_proposals(ws: Workspace, *, round_id: int, video: VideoRef, model_id: int | None, key: str,
                    proposals: list) -> tuple[list[int], bool]:
    """Put every proposal's blob (write-once) and register them in one transaction (idempotent)."""
    from flows.cycle.media import compress_rle
    from storage.catalog.generation import GeneratedMasklet, add_generated_masklets
    from storage.importers.gt_masklets import store_masklet

    stored = []
    for p in proposals:
        blob = store_masklet(video_sha256=video.sha256, frame_indices=list(p.frame_indices),
                             rles=[compress_rle(r) for r in p.rles], store=ws.store,
                             scores=[min(1.0, max(0.0, float(v))) for v in p.scores])
        stored.append(GeneratedMasklet(blob.blob_key, blob.blob_sha256, blob.frame_indices, blob.scores))
    return add_generated_masklets(ws.catalog, round_id=round_id, video_id=video.id, model_version_id=model_id,
                                  params_hash=key, masklets=stored, **ws.who)


@flow(name="generate-video-masklets", log_prints=False)
def generate_video_masklets(round_id: int, video_id: int, settings: Settings | None = None,
                            config: CycleConfig | None = None) -> GenerationResult:
    """Automatic masklets of ``video_id`` with the round's model, registered as ``in_review``."""
    from flows.cycle.media import load_frames
    from flows.cycle.workspace import open_workspace
    from flows.errors import ConflictError
    from storage.catalog.generation import keyed_masklets
    from storage.catalog.model_aliases import model_by_id
    from storage.catalog.rounds import get_round
    from storage.catalog.videos import get_video
    from storage.records import RoundStatus

    cfg = config or CycleConfig()
    with open_workspace(settings) as ws:
        rnd = get_round(ws.catalog, round_id)
        if rnd.status == RoundStatus.CLOSED:
            raise ConflictError(f"round {round_id} is closed; create a new round to generate masklets")
        if rnd.model_version_id is None:
            raise ConflictError(f"round {round_id} has no model; create rounds with `maskloop round create`")
        info = model_by_id(ws.catalog, rnd.model_version_id)
        key = params_hash(cfg, f"{info.ref.name}@{info.ref.version}")
        done = keyed_masklets(ws.catalog, round_id=round_id, video_id=video_id, model_version_id=info.id,
                              params_hash=key)
        if done:
            return GenerationResult(round_id, video_id, tuple(done), False)
        video = get_video(ws.catalog, video_id)
        frames = load_frames(ws.store, video)
        proposals = propose(ws, frames=frames, model_info=info, cfg=cfg)
        ids, created = with_retries(partial(store_proposals, ws, round_id=round_id, video=video,
                                            model_id=info.id, key=key, proposals=proposals))
        return GenerationResult(round_id, video_id, tuple(ids), created)
