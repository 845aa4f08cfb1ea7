"""The simulated reviewer on hand-made masks."""

from __future__ import annotations

import numpy as np
import pytest

from flows.oracle_reviewer import OracleConfig, review_proposals

T, H, W = 4, 32, 32


def _square(y: int, x: int, size: int = 10) -> np.ndarray:
    m = np.zeros((T, H, W), dtype=bool)
    m[:, y : y + size, x : x + size] = True
    return m


def test_perfect_proposal_is_satisfactory_with_no_effort() -> None:
    gt = {1: _square(2, 2)}
    reviews, manual = review_proposals({10: gt[1].copy()}, gt, frame_indices=range(T))
    assert [(r.proposal_id, r.verdict, r.gt_id, r.frames_edited, r.clicks) for r in reviews] == [
        (10, "satisfactory", 1, 0, 0)
    ]
    assert reviews[0].jf == pytest.approx(1.0)
    assert manual == []


def test_drifting_proposal_gets_worst_frames_corrected() -> None:
    gt = {1: _square(2, 2)}
    pred = gt[1].copy()
    pred[2:] = False  # lost the object on frames 2 and 3
    pred[2:, 20:26, 20:26] = True  # and tracks a spurious blob there
    reviews, _ = review_proposals({7: pred}, gt, frame_indices=[0, 6, 12, 18])
    (review,) = reviews
    assert review.verdict == "unsatisfactory"
    assert review.frames_edited == 2
    assert sorted(review.corrections) == [12, 18]
    assert np.array_equal(review.corrections[12], gt[1][2])
    assert review.clicks == 4  # two error regions (missed object, spurious blob) on each of 2 frames


def test_unmatched_proposal_is_ill_defined_and_unproposed_gt_is_drawn() -> None:
    gt = {1: _square(2, 2), 2: _square(20, 20)}
    gt[2][0] = False  # object 2 appears on frame 1
    reviews, manual = review_proposals({5: _square(2, 2), 6: _square(2, 20, size=4)}, gt,
                                       frame_indices=range(T), config=OracleConfig(manual_clicks=3))
    verdicts = {r.proposal_id: r.verdict for r in reviews}
    assert verdicts == {5: "satisfactory", 6: "ill_defined"}
    assert [(m.gt_id, m.frame_index, m.clicks) for m in manual] == [(2, 1, 3)]
    assert manual[0].mask.sum() == 100


def test_each_ground_truth_object_is_matched_once() -> None:
    gt = {1: _square(2, 2)}
    reviews, _ = review_proposals({1: gt[1].copy(), 2: gt[1].copy()}, gt, frame_indices=range(T))
    assert sorted(r.verdict for r in reviews) == ["ill_defined", "satisfactory"]


def test_shape_mismatch_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"\[T=4, H, W\]"):
        review_proposals({1: np.zeros((3, H, W), bool)}, {1: _square(0, 0)}, frame_indices=range(T))


def test_a_hand_drawn_masklet_is_matched_by_its_drawn_frame_and_corrected() -> None:
    gt = {1: _square(2, 2)}
    drawing = np.zeros((T, H, W), dtype=bool)
    drawing[0] = gt[1][0]  # drawn exactly on frame 0
    drawing[1:, 20:30, 20:30] = True  # then propagated onto the wrong place
    config = OracleConfig(match_j=0.5)  # mean J of the drawing is 0.25: as a proposal it matches nothing
    as_proposal, _ = review_proposals({3: drawing}, gt, frame_indices=range(T), config=config)
    assert as_proposal[0].verdict == "ill_defined"
    (review,), manual = review_proposals({3: drawing}, gt, frame_indices=range(T), drawn={3}, config=config)
    assert (review.verdict, review.gt_id, review.frames_edited) == ("unsatisfactory", 1, 3)
    assert sorted(review.corrections) == [1, 2, 3]
    assert manual == []
