"""A simulated annotator that corrects masks with clicks, as interactive-segmentation benchmarks do.

Per frame: while the mask's IoU with ground truth is under ``threshold``, one click goes at the
interior (the point farthest from the region's border) of the largest error region: positive on
a miss, negative on a false positive. The model re-segments the frame from all clicks so far
(``segment``, any callable). After ``cap`` clicks a frame still wrong is drawn by hand. Effort is
counted per frame (clicks, drawn, edited) and priced by :class:`CostModel`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from model.errors import InvalidInputError

Click = tuple[float, float, int]  # x, y (pixels of the frame), label (1 positive, 0 negative)
Segmenter = Callable[[list[Click]], np.ndarray]  # clicks so far -> bool [H, W]


@dataclass(frozen=True)
class CostModel:
    """Seconds an annotator spends, by action. The constants and their sources:

    decision_s: looking at a frame and accepting or rejecting it, 1.0 s (our assumption, stated
    as such: no published figure). click_s: one click, 1.75 s (extreme clicking: 4 clicks per box
    in 7.0 s, Papadopoulos et al., ICCV 2017). drawn_s: a mask drawn by hand, 79 s (COCO polygon
    instance masks: 22 worker-hours per 1,000 objects, Lin et al., ECCV 2014).
    """

    decision_s: float = 1.0
    click_s: float = 1.75
    drawn_s: float = 79.0

    def seconds(self, *, frames: int, clicks: int, drawn: int) -> float:
        return frames * self.decision_s + clicks * self.click_s + drawn * self.drawn_s


@dataclass(frozen=True)
class FrameEffort:
    """One frame's annotation: clicks given, whether it was drawn by hand, the final mask
    (bool [H, W]) and its IoU with ground truth; edited = any click or drawing."""

    clicks: int
    drawn: bool
    iou: float
    mask: np.ndarray

    @property
    def edited(self) -> bool:
        return self.clicks > 0 or self.drawn


def mask_iou(pred: np.ndarray, gt: np.ndarray) -> float:
    """IoU of two bool [H, W] masks (1.0 when both are empty)."""
    union = np.logical_or(pred, gt).sum()
    return 1.0 if union == 0 else float(np.logical_and(pred, gt).sum() / union)


def next_click(pred: np.ndarray, gt: np.ndarray) -> Click | None:
    """The corrective click for bool [H, W] ``pred`` against ``gt``: the interior point of the
    largest connected error region (label 1 on a miss, 0 on a false positive); None if equal."""
    best_size, best_region, best_label = 0, None, 1
    for region, label in ((gt & ~pred, 1), (pred & ~gt, 0)):
        labelled, n = ndimage.label(region)
        if n == 0:
            continue
        sizes = ndimage.sum(region, labelled, range(1, n + 1))
        k = int(np.argmax(sizes))
        if sizes[k] > best_size:
            best_size, best_region, best_label = sizes[k], labelled == k + 1, label
    if best_region is None:
        return None
    dist = ndimage.distance_transform_edt(np.pad(best_region, 1))[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return float(x), float(y), best_label


def annotate_frame(segment: Segmenter, gt: np.ndarray, *, start: np.ndarray | None = None,
                   threshold: float = 0.85, cap: int = 10) -> FrameEffort:
    """Correct one frame with clicks until IoU >= ``threshold`` or ``cap`` clicks, then draw.

    segment: clicks so far -> bool [H, W] mask; gt: bool [H, W]; start: the mask before any click
    (a proposal or a propagated mask; None = nothing, i.e. an empty mask). A frame whose start is
    already good costs no click.
    """
    gt = np.asarray(gt, dtype=bool)
    if gt.ndim != 2:
        raise InvalidInputError(f"ground truth must be one bool [H, W] mask, got shape {gt.shape}")
    if not 0.0 < threshold <= 1.0 or cap < 0:
        raise InvalidInputError("threshold must be in (0, 1] and cap >= 0")
    pred = np.zeros_like(gt) if start is None else np.asarray(start, dtype=bool)
    if pred.shape != gt.shape:
        raise InvalidInputError(f"start mask {pred.shape} and ground truth {gt.shape} differ in size")
    clicks: list[Click] = []
    iou = mask_iou(pred, gt)
    while iou < threshold and len(clicks) < cap:
        click = next_click(pred, gt)
        if click is None:
            break
        clicks.append(click)
        pred = np.asarray(segment(list(clicks)), dtype=bool)
        iou = mask_iou(pred, gt)
    if iou < threshold:
        return FrameEffort(clicks=len(clicks), drawn=True, iou=1.0, mask=gt.copy())
    return FrameEffort(clicks=len(clicks), drawn=False, iou=iou, mask=pred)
