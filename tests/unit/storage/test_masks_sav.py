"""SA-V JSON: read what SA-V ships (masklet[frame][object]), write it back identically."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from storage.errors import InvalidInputError
from storage.masks.rle import decode_rle, encode_rle
from storage.masks.sav_json import build_sav, read_sav, write_sav


def _object_masks(n_frames: int = 6, h: int = 24, w: int = 16) -> list[list[dict]]:
    objects = []
    for o in range(3):
        frames = []
        for t in range(n_frames):
            m = np.zeros((h, w), dtype=bool)
            visible = not (o == 1 and 2 <= t <= 3) and not (o == 2 and t < 4)  # occlusion, late entry
            if visible:
                m[o * 6:o * 6 + 5, t:t + 6] = True
            frames.append(encode_rle(m))
        objects.append(frames)
    return objects


def test_write_then_read_keeps_every_mask_and_the_statistics(tmp_path: Path) -> None:
    objects = _object_masks()
    doc = build_sav(video_id="vid", height=24, width=16, fps=6.0, source_frame_count=24, masklets=objects,
                    masklet_ids=[0, 1, 2], masklet_types=["manual", "auto", "manual"], split="train")
    assert len(doc["masklet"]) == 6 and len(doc["masklet"][0]) == 3  # [frame][object]
    assert doc["masklet_visibility_changes"] == [0, 2, 0]
    assert doc["masklet_first_appeared_frame"] == [0.0, 0.0, 4.0]
    assert doc["video_height"] == 24.0 and doc["video_width"] == 16.0 and doc["masklet_num"] == 3
    write_sav(tmp_path / "vid_manual.json", doc)
    parsed = read_sav(tmp_path / "vid_manual.json")
    assert (parsed.height, parsed.width, parsed.n_frames, parsed.split) == (24, 16, 6, "train")
    assert parsed.masklet_ids == (0, 1, 2) and parsed.masklet_types == ("manual", "auto", "manual")
    for o in range(3):
        for t in range(6):
            assert np.array_equal(decode_rle(parsed.masklets[o][t]), decode_rle(objects[o][t]))


def test_missing_frames_become_empty_masks() -> None:
    doc = build_sav(video_id="v", height=4, width=4, fps=6.0, source_frame_count=8,
                    masklets=[[None, encode_rle(np.ones((4, 4), bool))]], masklet_ids=[7], masklet_types=["auto"],
                    split=None)
    assert decode_rle(doc["masklet"][0][0]).sum() == 0 and decode_rle(doc["masklet"][1][0]).sum() == 16


@pytest.mark.parametrize("doc", [
    {"video_id": "x"},
    {"masklet": []},
    {"masklet": [[{"size": [4, 4], "counts": "0"}]]},
    {"masklet": [[encode_rle(np.zeros((4, 4), bool))], []]},
    {"masklet": [[encode_rle(np.zeros((4, 4), bool))]], "video_height": 5, "video_width": 4},
])
def test_malformed_files_are_rejected(tmp_path: Path, doc: dict) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InvalidInputError):
        read_sav(path)


def test_not_json_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text("{nope")
    with pytest.raises(InvalidInputError, match="not JSON"):
        read_sav(tmp_path / "x.json")
