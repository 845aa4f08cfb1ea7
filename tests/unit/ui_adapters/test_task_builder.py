"""Masklet -> Label Studio task conversion, frame subsampling, label config."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from helpers.label_studio import box_mask, make_masklet
from label_studio_sdk.converter import brush as sdk

from ui_adapters.errors import InvalidInputError
from ui_adapters.label_config import VERDICT_DEFINITIONS, build_label_config, review_instructions
from ui_adapters.records import CocoRle, MaskletForReview
from ui_adapters.task_builder import coco_to_mask, mask_to_coco, masklet_to_task, select_frames


@pytest.mark.parametrize(
    ("n", "cap", "expected"),
    [(3, 8, [0, 1, 2]), (10, 10, list(range(10))), (10, 4, [0, 3, 6, 9]), (100, 1, [0]), (5, 2, [0, 4])],
)
def test_select_frames(n: int, cap: int, expected: list[int]) -> None:
    assert select_frames(n, cap) == expected


def test_select_frames_long_masklet_is_evenly_capped() -> None:
    picks = select_frames(1000, 32)
    assert len(picks) == 32 and picks[0] == 0 and picks[-1] == 999
    assert all(b > a for a, b in itertools.pairwise(picks))


def test_masklet_to_task_shape() -> None:
    m = make_masklet(7, 40)
    task = masklet_to_task(m, round_id=3, max_frames=8)
    data = task["data"]
    shown = select_frames(40, 8)
    assert data["frame_indices"] == [m.frame_indices[k] for k in shown]
    assert data["frames"] == [m.frame_urls[k] for k in shown]
    assert data["scores"] == [m.scores[k] for k in shown]
    assert (data["masklet_id"], data["revision"], data["round_id"]) == (7, 1, 3)
    assert (data["height"], data["width"], data["model_version"]) == (24, 32, "tiny-cpu@3")
    assert "video-7" in data["context"] and "tiny-cpu@3" in data["context"] and "of 40" in data["context"]
    (pred,) = task["predictions"]
    assert pred["model_version"] == "tiny-cpu@3"
    assert pred["score"] == pytest.approx(np.mean([m.scores[k] for k in shown]))
    assert [r["item_index"] for r in pred["result"]] == list(range(8))
    for pos, (res, k) in enumerate(zip(pred["result"], shown)):
        assert res["score"] == m.scores[k]
        assert (res["original_height"], res["original_width"]) == (24, 32)
        alpha = sdk.decode_rle(res["value"]["rle"]).reshape(24, 32, 4)[:, :, 3]
        assert np.array_equal(alpha == 255, coco_to_mask(m.masks[k]).astype(bool)), pos


def test_coco_roundtrip_and_dict_input() -> None:
    mask = box_mask(10, 12, 2, 3, 4)
    rle = mask_to_coco(mask)
    assert np.array_equal(coco_to_mask(rle), mask)
    again = CocoRle.from_dict({"size": [10, 12], "counts": rle.counts.encode("ascii")})
    assert again == rle and again.to_dict() == {"size": [10, 12], "counts": rle.counts}


def test_masklet_validation() -> None:
    m = make_masklet(1, 3)
    with pytest.raises(InvalidInputError, match="same non-zero length"):
        MaskletForReview(masklet_id=1, revision=1, video_label="v", frame_indices=(0, 1),
                         frame_urls=("a",), masks=m.masks[:2], scores=(0.1, 0.2), model_version="x")
    with pytest.raises(InvalidInputError, match="ascending"):
        MaskletForReview(masklet_id=1, revision=1, video_label="v", frame_indices=(1, 0),
                         frame_urls=("a", "b"), masks=m.masks[:2], scores=(0.1, 0.2), model_version="x")
    dicts = MaskletForReview(masklet_id=1, revision=1, video_label="v", frame_indices=(0,),
                             frame_urls=("a",), masks=(m.masks[0].to_dict(),), scores=(1,), model_version="x")
    assert dicts.masks[0] == m.masks[0] and dicts.height == 24


def test_label_config_has_the_verdicts_labels_and_paginated_frames() -> None:
    root = ET.fromstring(build_label_config())
    image = root.find("Image")
    assert image is not None and image.get("valueList") == "$frames" and image.get("name") == "frames"
    brush = root.find("BrushLabels")
    assert brush is not None and brush.get("toName") == "frames"
    choices = root.find("Choices")
    # not required in the config: "add objects" tasks take no verdict; the parser rejects a masklet
    # review without one (test_ls_annotation_parser: "no verdict")
    assert choices is not None and choices.get("required") is None
    assert [label.get("value") for label in brush] == ["masklet", "new object"]
    assert [c.get("value") for c in choices] == ["satisfactory", "unsatisfactory", "ill-defined"]


def test_the_header_names_the_frames_to_check_first() -> None:
    m = make_masklet(3, 6)
    worse = MaskletForReview(masklet_id=3, revision=1, video_label="blackswan", frame_indices=m.frame_indices,
                             frame_urls=m.frame_urls, masks=m.masks, scores=(0.9, 0.2, 0.95, 0.4, 0.1, 0.8),
                             model_version="x@1")
    context = masklet_to_task(worse, round_id=1, max_frames=8)["data"]["context"]
    assert context.startswith("Video blackswan | masklet 3 rev 1 | model x@1")
    # pages are 1-based positions in the clip, frames the video's numbers (0, 2, 4, ...)
    assert "check first: page 5 = frame 8 (0.10), page 2 = frame 2 (0.20), page 4 = frame 6 (0.40) |" in context


def test_the_verdicts_are_defined_where_the_reviewer_chooses() -> None:
    choices = ET.fromstring(build_label_config()).find("Choices")
    assert [c.get("hint") for c in choices] == [VERDICT_DEFINITIONS[c.get("value")] for c in choices]
    assert "correctly and consistently in every frame" in VERDICT_DEFINITIONS["satisfactory"]
    html = review_instructions()
    assert all(f"<b>{v}</b>: {d}." in html for v, d in VERDICT_DEFINITIONS.items())


def test_every_page_names_its_video_frame_and_each_region_says_which_frame() -> None:
    m = make_masklet(4, 40)
    task = masklet_to_task(m, round_id=1, max_frames=4)  # shown: positions 0, 13, 26, 39 -> frames 0, 26, 52, 78
    data = task["data"]
    assert "| page:frame 1:0 2:26 3:52 4:78 (4 of 40 frames shown) |" in data["context"]
    notes = [r["meta"]["text"] for r in task["predictions"][0]["result"]]
    assert notes == [[f"frame {f} (page {p}), score {s:.2f}"] for p, (f, s) in
                     enumerate(zip(data["frame_indices"], data["scores"]), start=1)]


def test_the_task_list_columns() -> None:
    m = make_masklet(5, 6)
    data = masklet_to_task(m, round_id=1, max_frames=3)["data"]
    assert data["n_frames"] == 6 and data["lowest_score"] == min(data["scores"]) == 0.5
    assert data["thumbnail"] == m.frame_urls[0] and data["review_status"] == "to review"
