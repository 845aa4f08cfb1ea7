"""Procedural surgical-like clip generator."""

from __future__ import annotations

import numpy as np
import pytest

from model.errors import InvalidInputError
from model.synthetic.generator import generate_clip


def test_shapes_dtypes_and_determinism() -> None:
    a = generate_clip(seed=1, n_frames=5, height=40, width=56, n_instruments=3)
    b = generate_clip(seed=1, n_frames=5, height=40, width=56, n_instruments=3)
    assert a.frames.shape == (5, 40, 56, 3) and a.frames.dtype == np.uint8
    assert a.masks.shape == (3, 5, 40, 56) and a.masks.dtype == np.bool_
    assert a.object_ids == (1, 2, 3)
    assert np.array_equal(a.frames, b.frames) and np.array_equal(a.masks, b.masks)
    c = generate_clip(seed=2, n_frames=5, height=40, width=56, n_instruments=3)
    assert not np.array_equal(a.frames, c.frames)


def test_masks_are_visible_parts_and_do_not_overlap() -> None:
    clip = generate_clip(seed=3, n_frames=12, height=64, width=64, n_instruments=3)
    assert clip.masks.sum(axis=0).max() <= 1  # occlusion: a pixel belongs to one instrument
    labels = clip.label_maps()
    assert set(np.unique(labels)) <= {0, 1, 2, 3}
    for k in range(3):
        assert np.array_equal(labels == k + 1, clip.masks[k])


def test_instruments_enter_and_leave_over_many_seeds() -> None:
    absent_somewhere = present_somewhere = 0
    for seed in range(12):
        clip = generate_clip(seed=seed, n_frames=24, height=48, width=48, n_instruments=2)
        area = clip.masks.reshape(2, 24, -1).sum(-1)
        present_somewhere += int((area > 0).any())
        absent_somewhere += int(((area == 0) & (area.max(axis=1, keepdims=True) > 0)).any())
    assert present_somewhere >= 10 and absent_somewhere >= 1


def test_frames_change_over_time_camera_and_tools() -> None:
    clip = generate_clip(seed=4, n_frames=6, height=48, width=48, n_instruments=1)
    diffs = [np.abs(clip.frames[t + 1].astype(int) - clip.frames[t]).mean() for t in range(5)]
    assert min(diffs) > 0.5


def test_bad_arguments() -> None:
    with pytest.raises(InvalidInputError):
        generate_clip(seed=0, n_frames=0, height=32, width=32, n_instruments=1)
    with pytest.raises(InvalidInputError):
        generate_clip(seed=0, n_frames=2, height=8, width=32, n_instruments=1)


def test_blobs_are_extra_objects_under_the_instruments() -> None:
    plain = generate_clip(seed=6, n_frames=4, height=48, width=48, n_instruments=2)
    mixed = generate_clip(seed=6, n_frames=4, height=48, width=48, n_instruments=2, n_blobs=2)
    assert mixed.masks.shape == (4, 4, 48, 48) and mixed.object_ids == (1, 2, 3, 4)
    assert mixed.masks.sum(axis=0).max() <= 1
    assert mixed.masks[2:].any()
    # instruments are drawn above the blobs: their visible masks are unchanged
    assert np.array_equal(mixed.masks[:2], plain.masks)
    with pytest.raises(InvalidInputError):
        generate_clip(seed=0, n_frames=2, height=32, width=32, n_instruments=0, n_blobs=-1)
