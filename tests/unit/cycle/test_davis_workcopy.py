"""The bench's working copy of DAVIS sequences: frames kept, size, exact object ids, checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from flows.errors import InvalidInputError
from flows.programs.davis_workcopy import WorkCopyConfig, kept_frames, write_work_copy
from storage.importers.davis_importer import read_sequence_masks
from storage.masks.davis_png import read_davis_mask, write_davis_mask
from storage.media.frame_folder import list_frame_files


def _sequence(root: Path, name: str, n: int, *, width: int = 80, height: int = 40) -> None:
    img = root / "JPEGImages" / "480p" / name
    ann = root / "Annotations" / "480p" / name
    img.mkdir(parents=True)
    ann.mkdir(parents=True)
    for t in range(n):
        frame = np.full((height, width, 3), 10 * t, np.uint8)
        Image.fromarray(frame).save(img / f"{t:05d}.jpg", quality=95)
        ids = np.zeros((height, width), np.uint8)
        ids[4:20, 2 * t:2 * t + 20] = 1
        ids[24:36, 40:60] = 2
        write_davis_mask(ann / f"{t:05d}.png", ids)


def test_kept_frames() -> None:
    assert kept_frames(10, WorkCopyConfig(stride=4)) == [0, 4, 8]
    assert kept_frames(10, WorkCopyConfig(stride=2, max_frames=3)) == [0, 2, 4]
    assert kept_frames(3, WorkCopyConfig()) == [0, 1, 2]
    with pytest.raises(InvalidInputError):
        WorkCopyConfig(stride=0)
    with pytest.raises(InvalidInputError):
        WorkCopyConfig(width=8)


def test_downscaled_copy_keeps_layout_and_object_ids(tmp_path: Path) -> None:
    _sequence(tmp_path / "src", "aa", 7)
    _sequence(tmp_path / "src", "bb", 3)
    out = tmp_path / "copy"
    (out / "stale").mkdir(parents=True)
    copied = write_work_copy(tmp_path / "src", out, ["aa", "bb"], WorkCopyConfig(stride=3, max_frames=2, width=40))
    assert not (out / "stale").exists()
    assert [(c.name, c.source_frames, c.width, c.height) for c in copied] == [("aa", (0, 3), 40, 20),
                                                                              ("bb", (0,), 40, 20)]
    frames = list_frame_files(out / "JPEGImages" / "480p" / "aa")
    assert [p.name for p in frames] == ["00000.jpg", "00001.jpg"]
    with Image.open(frames[1]) as image:
        assert image.size == (40, 20) and abs(np.asarray(image).mean() - 30) < 3  # source frame 3
    ids = read_sequence_masks(out, "aa", frames)  # the importer accepts the copy
    assert set(np.unique(ids[1])) == {0, 1, 2}  # nearest-neighbour: no blended ids
    source = read_davis_mask(tmp_path / "src" / "Annotations" / "480p" / "aa" / "00003.png")
    assert np.array_equal(ids[1], source[::2, ::2])


def test_native_size_copies_frames_byte_for_byte(tmp_path: Path) -> None:
    _sequence(tmp_path / "src", "aa", 4)
    write_work_copy(tmp_path / "src", tmp_path / "copy", ["aa"], WorkCopyConfig(stride=2))
    src = tmp_path / "src" / "JPEGImages" / "480p" / "aa" / "00002.jpg"
    assert (tmp_path / "copy" / "JPEGImages" / "480p" / "aa" / "00001.jpg").read_bytes() == src.read_bytes()


def test_missing_ground_truth_is_refused_before_writing(tmp_path: Path) -> None:
    _sequence(tmp_path / "src", "aa", 2)
    (tmp_path / "src" / "JPEGImages" / "480p" / "bb").mkdir(parents=True)
    Image.fromarray(np.zeros((40, 80, 3), np.uint8)).save(tmp_path / "src" / "JPEGImages" / "480p" / "bb" / "00000.jpg")
    with pytest.raises(InvalidInputError, match="no ground truth for sequence bb"):
        write_work_copy(tmp_path / "src", tmp_path / "copy", ["aa", "bb"], WorkCopyConfig())
    assert not (tmp_path / "copy").exists()
