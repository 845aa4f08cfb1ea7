"""Drawn objects -> manual masklets in review: one code path for people (``maskloop masklet add``)
and the simulated reviewer (flows/cycle/reviewer_oracle.py).

:func:`track_drawings` propagates each drawn mask both ways through the video with the round's
model (inside the ``gpu`` slot), keeps the frames from the first to the last one where the object
is seen (always the drawn frame) and stores each object as one masklet blob. :func:`register_drawing`
registers a stored drawing as a manual masklet, ``in_review``, in the round, idempotent by
:func:`drawing_key` (sha256 of video, frame, mask and round): the same drawing added twice returns
the first masklet.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from flows.cycle.media import store_masks
from flows.cycle.propagation import propagate_prompts
from flows.cycle.verdicts import covered_frames
from flows.cycle.workspace import Workspace
from flows.orchestration.gpu_slot import gpu_slot
from storage.catalog.manual_masklets import add_manual_masklet
from storage.records import VideoRef

if TYPE_CHECKING:
    from model.network.refs import LoadedModel
    from storage.importers.gt_masklets import StoredMasklet


@dataclass(frozen=True)
class Drawing:
    """One object drawn on one frame: ``mask`` bool [H, W] (the video's size), not empty."""

    frame: int
    mask: np.ndarray


def drawing_key(*, video_id: int, frame: int, mask: np.ndarray, round_id: int) -> str:
    """sha256 hex (64 digits) of (video, frame, the mask's shape and pixels, round)."""
    pixels = np.ascontiguousarray(np.asarray(mask, bool))
    digest = hashlib.sha256(f"maskloop.drawing:v{int(video_id)}:f{int(frame)}:r{int(round_id)}:"
                            f"{pixels.shape[0]}x{pixels.shape[1]}:".encode())
    digest.update(np.packbits(pixels, axis=None).tobytes())
    return digest.hexdigest()


def track_drawings(ws: Workspace, *, video: VideoRef, model: LoadedModel, frames: np.ndarray,
                   drawings: Mapping[int, Drawing]) -> dict[int, StoredMasklet]:
    """Object id -> its stored masklet blob: every drawing propagated both ways in one session.

    ``frames`` uint8 [T, H, W, 3] of ``video``; the blob covers the frames from the first to the
    last non-empty mask (and the drawn frame), the drawn frame scored 1.0.
    """
    if not drawings:
        return {}
    prompts = {int(obj): {int(d.frame): np.asarray(d.mask, bool)} for obj, d in drawings.items()}
    with gpu_slot():
        tracked, scores = propagate_prompts(model, frames, prompts, backward=True)
    out = {}
    for obj, d in drawings.items():
        masks = tracked[int(obj)]
        kept = covered_frames(masks, {int(d.frame)})
        out[int(obj)] = store_masks(ws.store, video_sha256=video.sha256, masks=masks, frames=kept,
                                    scores=[float(scores[int(obj)][f]) for f in kept])
    return out


def register_drawing(ws: Workspace, *, round_id: int, video: VideoRef, drawing: Drawing,
                     stored: StoredMasklet, drawn_by: str | None = None) -> tuple[int, bool]:
    """Register a tracked drawing as a manual masklet in review in the round; ``(id, created)``
    (created False: this drawing was registered before, nothing written). ``drawn_by``: the person
    who drew it (e.g. a Label Studio reviewer's e-mail), recorded as the masklet's creator instead
    of the workspace's actor."""
    key = drawing_key(video_id=video.id, frame=drawing.frame, mask=drawing.mask, round_id=round_id)
    return add_manual_masklet(ws.catalog, round_id=round_id, video_id=video.id, key=key, blob_key=stored.blob_key,
                              blob_sha256=stored.blob_sha256, frame_indices=stored.frame_indices,
                              scores=stored.scores, **{**ws.who, **({"actor": drawn_by} if drawn_by else {})})
