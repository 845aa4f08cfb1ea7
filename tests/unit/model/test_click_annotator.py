"""The simulated click annotator on hand-made masks (model/metrics/click_annotator.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from model.errors import InvalidInputError
from model.metrics.click_annotator import CostModel, annotate_frame, mask_iou, next_click


def _box(y0: int, y1: int, x0: int, x1: int, shape=(40, 60)) -> np.ndarray:
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return m


def test_click_lands_inside_the_largest_error_region() -> None:
    gt = _box(5, 35, 5, 55)
    pred = _box(5, 35, 5, 20)  # misses the right part: a positive click there
    x, y, label = next_click(pred, gt)
    assert label == 1 and (gt & ~pred)[int(y), int(x)]
    assert 30 <= x <= 45 and 15 <= y <= 25  # the interior, not the region's border
    pred = _box(0, 40, 0, 60)  # everything: the largest error is the false positive frame
    x, y, label = next_click(pred, gt)
    assert label == 0 and not gt[int(y), int(x)]
    assert next_click(gt, gt) is None


def test_clicks_raise_iou_until_the_threshold() -> None:
    gt = _box(5, 35, 5, 55)

    seen: list[float] = []

    def segment(clicks):  # each positive click reveals the object within 10 px of it
        m = np.zeros_like(gt)
        for x, y, label in clicks:
            sq = _box(max(0, int(y) - 10), int(y) + 10, max(0, int(x) - 10), int(x) + 10)
            m = (m | (sq & gt)) if label == 1 else (m & ~sq)
        seen.append(mask_iou(m, gt))
        return m

    effort = annotate_frame(segment, gt, threshold=0.85, cap=10)
    assert not effort.drawn and effort.edited and effort.iou >= 0.85
    assert 2 <= effort.clicks <= 10 and len(seen) == effort.clicks
    assert all(b > a for a, b in itertools.pairwise(seen))  # every click raised IoU
    assert mask_iou(effort.mask, gt) == effort.iou


def test_good_start_costs_nothing_and_the_cap_draws_the_frame() -> None:
    gt = _box(5, 35, 5, 55)
    free = annotate_frame(lambda clicks: gt, gt, start=gt)
    assert free.clicks == 0 and not free.edited and free.iou == 1.0
    stuck = annotate_frame(lambda clicks: np.zeros_like(gt), gt, cap=3)
    assert stuck.clicks == 3 and stuck.drawn and stuck.edited and np.array_equal(stuck.mask, gt)
    none = annotate_frame(lambda clicks: np.zeros_like(gt), gt, cap=0)
    assert none.clicks == 0 and none.drawn


def test_cost_model_and_bad_input() -> None:
    cost = CostModel()
    assert cost.seconds(frames=10, clicks=4, drawn=1) == pytest.approx(10 * 1.0 + 4 * 1.75 + 79.0)
    gt = _box(5, 35, 5, 55)
    with pytest.raises(InvalidInputError, match="differ in size"):
        annotate_frame(lambda c: gt, gt, start=np.zeros((4, 4), bool))
    with pytest.raises(InvalidInputError, match="threshold"):
        annotate_frame(lambda c: gt, gt, threshold=0.0)
