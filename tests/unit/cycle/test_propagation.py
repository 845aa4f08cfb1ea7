"""Re-propagation from a reviewer's corrected frames, and the simulated annotator's clicks, on the
lite network (random decoder: the contract, not the quality): erased frames are prompts too."""

from __future__ import annotations

import numpy as np
import pytest

from flows.cycle.click_corrections import correct_in_session
from flows.cycle.propagation import propagate_prompts
from model.network.refs import LoadedModel, load_model
from model.session.open_session import open_session
from model.synthetic.generator import generate_clip


@pytest.fixture(scope="module")
def lite() -> LoadedModel:
    return load_model("builtin:lite0", device="cpu", seed=0)


@pytest.fixture(scope="module")
def clip():
    return generate_clip(seed=5, n_frames=6, height=72, width=96, n_instruments=2)


def test_corrections_with_an_erased_frame_propagate(lite, clip) -> None:
    empty = np.zeros(clip.masks.shape[2:], bool)
    masks, scores = propagate_prompts(lite, clip.frames, {1: {0: clip.masks[0, 0], 3: empty}, 2: {2: empty}})
    assert masks[1].shape == clip.masks.shape[1:] and masks[1][0].sum() == clip.masks[0, 0].sum()
    assert not masks[1][3].any() and scores[1][3] == 1.0  # the erased frame is what the person drew
    assert not masks[2].any()  # only erasures: nothing to track, nothing invented


def test_a_frame_whose_object_is_gone_is_drawn_empty(lite, clip) -> None:
    # the masklet shows the object where the ground truth has none; with no click allowed the
    # annotator erases it, and the session takes the empty drawing as the frame's prompt
    session = open_session(lite).init(list(clip.frames))
    shown = clip.masks[0, 2] | clip.masks[1, 2]
    session.add_prompt(2, 1, mask=shown)
    effort = correct_in_session(session, 2, 1, np.zeros_like(shown), shown, threshold=0.85, cap=0)
    assert (effort.clicks, effort.drawn, effort.iou) == (0, True, 1.0) and not effort.mask.any()
    steps = list(session.propagate(start=2))
    assert [f for f, *_ in steps] == [2, 3, 4, 5] and not (steps[0][2][0] > 0).any()
