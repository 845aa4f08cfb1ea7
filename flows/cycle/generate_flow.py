"""Generate masklets for ONE video of a round (the unit fanned out on the ``gpu`` work pool).

Idempotent: proposals are keyed by (round, video, generator model, params hash). A rerun finds
them and returns them without running the model; a crash before the catalog transaction leaves
only write-once blobs (content-addressed, harmless), never half a video's masklets.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
from prefect import flow, task
from prefect.cache_policies import NONE
from prefect.utilities.annotations import quote

from flows.cycle.champion import load_registered
from flows.cycle.config import CycleConfig
from flows.cycle.media import compress_rle, load_frames
from flows.cycle.runtime import call
from flows.cycle.workspace import Workspace, open_workspace
from flows.errors import ConflictError
from flows.orchestration.gpu_slot import gpu_slot
from flows.settings import Settings
from storage.catalog.model_aliases import ModelInfo, model_by_id
from storage.catalog.rounds import GeneratedMasklet, add_generated_masklets, get_round, keyed_masklets
from storage.records import VideoRef


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
    from model.automask.config import AutoMaskConfig
    from model.automask.masklets import generate_masklets

    with gpu_slot():
        model = load_registered(ws, model_info)
        proposals = generate_masklets(model, list(frames), AutoMaskConfig(
            points_per_layer=(cfg.points_per_side,), pred_iou_thresh=cfg.pred_iou_thresh,
            stability_score_thresh=cfg.stability_thresh, max_masks=cfg.max_masks,
            min_mask_region_area=cfg.min_region_area))
    return proposals


@task(retries=2, retry_delay_seconds=2, cache_policy=NONE)
def store_proposals(ws: Workspace, *, round_id: int, video: VideoRef, model_id: int | None, key: str,
                    proposals: list) -> tuple[list[int], bool]:
    """Put every proposal's blob (write-once) and register them in one transaction (I/O: retried)."""
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
    cfg = config or CycleConfig()
    with open_workspace(settings) as ws:
        rnd = get_round(ws.catalog, round_id)
        if rnd.status == "closed":
            raise ConflictError(f"round {round_id} is closed; create a new round to generate masklets")
        if rnd.model_version_id is None:
            raise ConflictError(f"round {round_id} has no model; create rounds with `maskloop round create`")
        info = model_by_id(ws.catalog, rnd.model_version_id)
        key = params_hash(cfg, f"{info.ref.name}@{info.ref.version}")
        done = keyed_masklets(ws.catalog, round_id=round_id, video_id=video_id, model_version_id=info.id,
                              params_hash=key)
        if done:
            return GenerationResult(round_id, video_id, tuple(done), False)
        video = ws.catalog.get_video(video_id)
        frames = load_frames(ws.store, video)
        proposals = propose(ws, frames=frames, model_info=info, cfg=cfg)
        ids, created = call(store_proposals, quote(ws), round_id=round_id, video=video, model_id=info.id,
                            key=key, proposals=quote(proposals))
        return GenerationResult(round_id, video_id, tuple(ids), created)
