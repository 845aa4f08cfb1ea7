"""The simulated reviewer on hand-made masks."""

from __future__ import annotations

import numpy as np
import pytest

from flows.cycle.oracle_answers import OracleConfig, review_proposals
from model.metrics.click_annotator import annotate_frame

T, H, W = 4, 32, 32


def clicker(calls: list | None = None):
    """A frame corrector whose "model" adds a 5 x 5 square of the ground truth around each
    click (positive) or removes one (negative): the click annotator drives it like the real one."""
    def correct(f, start, gt):
        if calls is not None:
            calls.append(f)
        mask = np.zeros_like(gt) if start is None else start.copy()

        def segment(clicks):
            for x, y, label in clicks[-1:]:
                y0, x0 = max(0, int(y) - 2), max(0, int(x) - 2)
                mask[y0:int(y) + 3, x0:int(x) + 3] = gt[y0:int(y) + 3, x0:int(x) + 3] if label else False
            return mask.copy()
        return annotate_frame(segment, gt, start=start, threshold=0.85, cap=10)
    return correct


def run_review(proposals, gt, **kw):
    return review_proposals(proposals, gt, correct=kw.pop("correct", clicker()), **kw)


def _square(y: int, x: int, size: int = 10) -> np.ndarray:
    m = np.zeros((T, H, W), dtype=bool)
    m[:, y : y + size, x : x + size] = True
    return m


def test_perfect_proposal_is_satisfactory_with_no_effort() -> None:
    gt = {1: _square(2, 2)}
    reviews, manual = run_review({10: gt[1].copy()}, gt, frame_indices=range(T))
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
    reviews, _ = run_review({7: pred}, gt, frame_indices=[0, 6, 12, 18])
    (review,) = reviews
    assert review.verdict == "unsatisfactory"
    assert review.frames_edited == 2
    assert sorted(review.corrections) == [12, 18]
    for f, t in ((12, 2), (18, 3)):  # clicked to the annotator's IoU threshold, not copied
        fixed = review.corrections[f]
        assert (fixed & gt[1][t]).sum() / (fixed | gt[1][t]).sum() >= 0.85
    # each frame: positive clicks on the missed square (5 x 5 each), a negative one on the blob
    assert review.clicks >= 2 * 3 and review.drawn == 0


def test_unmatched_proposal_is_ill_defined_and_unproposed_gt_is_drawn() -> None:
    gt = {1: _square(2, 2), 2: _square(20, 20)}
    gt[2][0] = False  # object 2 appears on frame 1
    reviews, manual = run_review({5: _square(2, 2), 6: _square(2, 20, size=4)}, gt,
                                       frame_indices=range(T), correct=clicker(calls := []))
    verdicts = {r.proposal_id: r.verdict for r in reviews}
    assert verdicts == {5: "satisfactory", 6: "ill_defined"}
    assert [(m.gt_id, m.frame_index) for m in manual] == [(2, 1)] and calls == [1]
    # clicked from nothing: 4 clicks of 5 x 5 cover 100 px at most, so IoU 0.85 needs >= 4
    assert manual[0].clicks >= 4 and not manual[0].drawn
    assert (manual[0].mask & gt[2][1]).sum() >= 85 and not (manual[0].mask & ~gt[2][1]).any()


def test_a_frame_the_clicks_cannot_fix_is_drawn() -> None:
    gt = {1: _square(2, 2)}
    pred = np.zeros((T, H, W), dtype=bool)
    pred[0] = gt[1][0]
    pred[1:, 20:30, 20:30] = True
    (review,), _ = run_review({4: pred}, gt, frame_indices=range(T), config=OracleConfig(match_j=0.1),
                              correct=lambda f, start, g: annotate_frame(lambda clicks: start, g, start=start,
                                                                         cap=3))
    assert review.verdict == "unsatisfactory" and review.drawn == 3 and review.clicks == 9
    assert all(np.array_equal(m, gt[1][1]) for m in review.corrections.values())


def test_each_ground_truth_object_is_matched_once() -> None:
    gt = {1: _square(2, 2)}
    reviews, _ = run_review({1: gt[1].copy(), 2: gt[1].copy()}, gt, frame_indices=range(T))
    assert sorted(r.verdict for r in reviews) == ["ill_defined", "satisfactory"]


def test_shape_mismatch_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"\[T=4, H, W\]"):
        run_review({1: np.zeros((3, H, W), bool)}, {1: _square(0, 0)}, frame_indices=range(T))


def test_a_hand_drawn_masklet_is_matched_by_its_drawn_frame_and_corrected() -> None:
    gt = {1: _square(2, 2)}
    drawing = np.zeros((T, H, W), dtype=bool)
    drawing[0] = gt[1][0]  # drawn exactly on frame 0
    drawing[1:, 20:30, 20:30] = True  # then propagated onto the wrong place
    config = OracleConfig(match_j=0.5)  # mean J of the drawing is 0.25: as a proposal it matches nothing
    as_proposal, _ = run_review({3: drawing}, gt, frame_indices=range(T), config=config)
    assert as_proposal[0].verdict == "ill_defined"
    (review,), manual = run_review({3: drawing}, gt, frame_indices=range(T), drawn={3}, config=config)
    assert (review.verdict, review.gt_id, review.frames_edited) == ("unsatisfactory", 1, 3)
    assert sorted(review.corrections) == [1, 2, 3]
    assert manual == []
