"""J, F and J&F against hand-computed examples."""

from __future__ import annotations

import numpy as np
import pytest

from model.errors import InvalidInputError
from model.metrics.vos import (
    ObjectScore,
    SequenceScore,
    bound_pixels,
    boundary_f,
    boundary_map,
    disk,
    jaccard,
    mean_scores,
    score_object,
)


def square(h: int, w: int, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m


def test_jaccard_hand_computed() -> None:
    a = square(10, 10, 2, 6, 2, 6)  # 16 px
    b = square(10, 10, 2, 6, 2, 7)  # 20 px, contains a
    assert jaccard(a, b) == pytest.approx(16 / 20)
    assert jaccard(a, ~a) == 0.0
    empty = np.zeros((10, 10), bool)
    assert jaccard(empty, empty) == 1.0
    assert jaccard(empty, a) == 0.0


def test_boundary_map_is_davis_seg2bmap() -> None:
    b = boundary_map(square(6, 6, 2, 4, 2, 4))
    expected = np.zeros((6, 6), bool)
    expected[1, 1:4] = expected[3, 1:4] = True  # DAVIS marks the top/left outside, bottom/right inside
    expected[1:4, 1] = expected[1:4, 3] = True
    assert np.array_equal(b, expected)


def test_bound_pixels_and_disk() -> None:
    assert bound_pixels((480, 854)) == 8  # ceil(0.008 * 979.6)
    assert bound_pixels((10, 10)) == 1
    assert disk(1).sum() == 5


def test_boundary_f_hand_computed() -> None:
    a = square(100, 100, 20, 60, 20, 60)
    assert boundary_f(a, a) == 1.0
    assert boundary_f(np.zeros_like(a), np.zeros_like(a)) == 1.0
    assert boundary_f(np.zeros_like(a), a) == 0.0
    # shifted by 1 px: within the 2 px tolerance (ceil(0.008 * 141.4) = 2) -> every boundary matches
    assert boundary_f(np.roll(a, 1, axis=1), a) == 1.0
    # a far away square: no boundary pixel matches
    assert boundary_f(square(100, 100, 70, 90, 70, 90), a) == 0.0


def test_boundary_f_partial_match() -> None:
    # 10 x 10 image: tolerance ceil(0.008 * 14.1) = 1 px (a cross). Each 2 x 2 square has an
    # 8-pixel boundary ring (a 3 x 3 box); shifting by 3 columns leaves 3 ring pixels of each
    # within 1 px of the other ring: P = R = 3/8, F = 3/8.
    a = square(10, 10, 2, 4, 2, 4)
    b = square(10, 10, 2, 4, 5, 7)
    assert boundary_map(a).sum() == 8
    assert boundary_f(a, b) == pytest.approx(3 / 8)


def test_sequence_and_mean_scores() -> None:
    gt = np.stack([square(20, 20, 5, 15, 5, 15)] * 3)
    pred = gt.copy()
    pred[2] = False
    s = score_object(1, pred, gt, frames=[1, 2])
    assert s.J == pytest.approx(0.5) and s.F == pytest.approx(0.5) and s.JF == pytest.approx(0.5)
    seq = SequenceScore("x", (s, ObjectScore(2, 1.0, 0.8)))
    assert seq.J == pytest.approx(0.75) and seq.F == pytest.approx(0.65) and seq.JF == pytest.approx(0.7)
    m = mean_scores([seq, SequenceScore("y", (ObjectScore(3, 0.0, 0.0),))])
    assert m["J"] == pytest.approx(0.5) and m["JF"] == pytest.approx((0.5 + 1.3 / 3) / 2)


def test_metric_input_errors() -> None:
    with pytest.raises(InvalidInputError):
        jaccard(np.zeros((3, 3)), np.zeros((3, 4)))
    with pytest.raises(InvalidInputError):
        score_object(1, np.zeros((2, 3, 3), bool), np.zeros((3, 3, 3), bool))
