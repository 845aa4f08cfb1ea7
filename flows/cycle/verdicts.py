"""Recording a reviewer's verdict on one masklet revision (people through a review UI, or the oracle).

satisfactory -> ``accepted``; ill_defined -> ``rejected``; unsatisfactory -> ``needs_fix`` with
the corrected frames stored as a new revision (source ``reviewer``) that refinement re-propagates.
Everything of one review is one catalog transaction, idempotent by the review's external id.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from flows.cycle.media import masklet_masks, store_masks
from flows.cycle.workspace import Workspace
from storage.catalog.generation import GeneratedMasklet
from storage.catalog.reviews import apply_review
from storage.records import STATUS_OF_VERDICT, VideoRef

STATUS_OF = STATUS_OF_VERDICT


def corrected_masks(ws: Workspace, *, video: VideoRef, blob_key: str,
                    corrections: Mapping[int, np.ndarray]) -> np.ndarray:
    """bool [T, H, W]: the reviewed revision with each corrected frame replaced by its mask."""
    masks = masklet_masks(ws.store, blob_key, video.n_frames)
    for frame, mask in corrections.items():
        masks[int(frame)] = np.asarray(mask, bool)
    return masks


def covered_frames(masks: np.ndarray, keep: set[int] | None = None) -> list[int]:
    """Frames from the first to the last non-empty mask (plus ``keep``); [0] when all are empty."""
    visible = np.flatnonzero(masks.reshape(len(masks), -1).any(axis=1))
    if visible.size == 0:
        return sorted(keep or {0})
    return sorted(set(range(int(visible[0]), int(visible[-1]) + 1)) | (keep or set()))


def record_verdict(ws: Workspace, *, masklet_id: int, revision: int, video: VideoRef, blob_key: str, verdict: str,
                   reviewer: str, external_id: str, corrections: Mapping[int, np.ndarray] | None = None,
                   frames_edited: int = 0, clicks: int = 0, seconds: float = 0.0, regions_changed: int = 0,
                   status: str | None = None) -> bool:
    """Store one review (see module docstring); ``status`` overrides the verdict's status.

    Returns False when this external id was recorded before (nothing written).
    """
    correction = None
    if corrections:
        masks = corrected_masks(ws, video=video, blob_key=blob_key, corrections=corrections)
        frames = covered_frames(masks, {int(f) for f in corrections})
        stored = store_masks(ws.store, video_sha256=video.sha256, masks=masks, frames=frames)
        correction = GeneratedMasklet(stored.blob_key, stored.blob_sha256, stored.frame_indices, stored.scores)
    _, created = apply_review(ws.catalog, masklet_id=masklet_id, revision=revision, reviewer=reviewer,
                              verdict=verdict, new_status=status or STATUS_OF[verdict], external_id=external_id,
                              correction=correction, frames_edited=frames_edited, clicks=clicks, seconds=seconds,
                              regions_changed=regions_changed, **ws.who)
    return created
