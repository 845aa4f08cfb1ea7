"""Builders of masklets and Label Studio JSON for the ui_adapters tests (data generated here)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ui_adapters.records import MaskletForReview
from ui_adapters.task_builder import brush_result, mask_to_coco


def box_mask(height: int, width: int, top: int, left: int, size: int) -> np.ndarray:
    """``(H, W)`` bool mask with a ``size`` x ``size`` square at (top, left)."""
    mask = np.zeros((height, width), dtype=bool)
    mask[top : top + size, left : left + size] = True
    return mask


def make_masklet(
    masklet_id: int, n_frames: int, *, height: int = 24, width: int = 32, revision: int = 1
) -> MaskletForReview:
    """A masklet whose square moves one pixel right per frame; frames are 0, 2, 4, ..."""
    masks = [mask_to_coco(box_mask(height, width, 4, 2 + k % (width - 10), 8)) for k in range(n_frames)]
    return MaskletForReview(
        masklet_id=masklet_id,
        revision=revision,
        video_label=f"video-{masklet_id}",
        frame_indices=tuple(range(0, 2 * n_frames, 2)),
        frame_urls=tuple(f"http://frames.invalid/{masklet_id}/{k}.png" for k in range(n_frames)),
        masks=tuple(masks),
        scores=tuple(round(0.5 + 0.01 * k, 3) for k in range(n_frames)),
        model_version="tiny-cpu@3",
    )


def verdict_result(choice: str) -> dict[str, Any]:
    """The Choices result a reviewer submits."""
    return {"from_name": "verdict", "to_name": "frames", "type": "choices", "value": {"choices": [choice]}}


def edit_result(mask: np.ndarray, item_index: int) -> dict[str, Any]:
    """A brush result a reviewer draws on clip position ``item_index``."""
    res = brush_result(mask=mask, item_index=item_index, score=None, label="masklet")
    res["id"] = f"edit{item_index}"
    return res
