"""Annotation JSON -> Review / RejectedAnnotation, without a server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from helpers.label_studio import box_mask, edit_result, make_masklet, verdict_result

from ui_adapters.annotation_parser import parse_annotation
from ui_adapters.records import RejectedAnnotation, Review, Verdict
from ui_adapters.task_builder import coco_to_mask, masklet_to_task


def _task(n_frames: int = 5, max_frames: int = 4) -> dict[str, Any]:
    task = masklet_to_task(make_masklet(9, n_frames), round_id=2, max_frames=max_frames)
    task["id"] = 41
    task["predictions"][0]["created_at"] = "2026-11-21T10:00:00Z"
    return task


def _annotation(result: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    ann = {"id": 77, "result": result, "updated_at": "2026-11-21T10:05:00.123456Z", "completed_by": 3,
           "lead_time": 42.5, "was_cancelled": False}
    ann.update(extra)
    return ann


def test_satisfactory_with_prediction_copied_has_no_corrections() -> None:
    task = _task()
    result = list(task["predictions"][0]["result"]) + [verdict_result("satisfactory")]
    review = parse_annotation(project_id=5, task=task, annotation=_annotation(result), emails={3: "r@x.org"})
    assert isinstance(review, Review)
    assert review.verdict is Verdict.SATISFACTORY
    assert review.corrections == {} and review.frames_edited == ()
    assert (review.masklet_id, review.revision, review.task_id, review.annotation_id) == (9, 1, 41, 77)
    assert review.frames_shown == tuple(task["data"]["frame_indices"])
    assert review.seconds == 42.5 and review.reviewer_id == 3 and review.reviewer_email == "r@x.org"
    assert review.annotation_updated_at == datetime(2026, 11, 21, 10, 5, 0, 123456, tzinfo=UTC)
    assert review.external_id == "label-studio:5:77:2026-11-21T10:05:00.123456+00:00"
    assert review.model_version == "tiny-cpu@3" and review.clicks is None


def test_unsatisfactory_edits_become_corrections_by_video_frame() -> None:
    task = _task(n_frames=5, max_frames=4)  # shown positions 0, 1, 3, 4 -> video frames 0, 2, 6, 8
    new1, new3 = box_mask(24, 32, 10, 10, 5), box_mask(24, 32, 0, 0, 3)
    result = [verdict_result("unsatisfactory"), edit_result(new1, 1), edit_result(new3, 3)]
    result.append(task["predictions"][0]["result"][0])  # frame 0 kept as predicted
    review = parse_annotation(project_id=5, task=task, annotation=_annotation(result))
    assert isinstance(review, Review)
    assert review.verdict is Verdict.UNSATISFACTORY
    assert review.frames_edited == (2, 8)
    assert np.array_equal(coco_to_mask(review.corrections[2]), new1)
    assert np.array_equal(coco_to_mask(review.corrections[8]), new3)


def test_two_strokes_on_one_frame_are_united() -> None:
    task = _task()
    a, b = box_mask(24, 32, 0, 0, 3), box_mask(24, 32, 20, 20, 3)
    result = [verdict_result("ill-defined"), edit_result(a, 2), edit_result(b, 2)]
    review = parse_annotation(project_id=5, task=task, annotation=_annotation(result))
    assert isinstance(review, Review) and review.verdict is Verdict.ILL_DEFINED
    frame = task["data"]["frame_indices"][2]
    assert np.array_equal(coco_to_mask(review.corrections[frame]), a | b)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda t, r: r.pop(0), "no verdict"),
        (lambda t, r: r[1].update(original_width=31), "24x31"),
        (lambda t, r: r[1]["value"].update(rle=r[1]["value"]["rle"][:5]), "bad brush RLE"),
        (lambda t, r: r[1].update(item_index=99), "outside"),
        (lambda t, r: t.update(data={"image": "x.png"}), "unknown task"),
        (lambda t, r: r[0]["value"].update(choices=["great"]), "unknown verdict"),
    ],
)
def test_malformed_annotations_are_rejected_with_reason(mutate: Any, reason: str) -> None:
    task = _task()
    result = [verdict_result("unsatisfactory"), edit_result(box_mask(24, 32, 1, 1, 4), 1)]
    mutate(task, result)
    out = parse_annotation(project_id=5, task=task, annotation=_annotation(result))
    assert isinstance(out, RejectedAnnotation)
    assert reason in out.reason
    assert (out.annotation_id, out.task_id, out.project_id) == (77, 41, 5)
    assert out.external_id == "label-studio:5:77:2026-11-21T10:05:00.123456+00:00"


def test_skipped_annotation_is_rejected() -> None:
    out = parse_annotation(project_id=5, task=_task(), annotation=_annotation([], was_cancelled=True))
    assert isinstance(out, RejectedAnnotation) and out.reason.startswith("skipped")


def test_updated_annotation_gets_a_new_external_id() -> None:
    task = _task()
    result = [verdict_result("satisfactory")]
    first = parse_annotation(project_id=5, task=task, annotation=_annotation(result))
    second = parse_annotation(project_id=5, task=task,
                              annotation=_annotation(result, updated_at="2026-11-21T11:00:00Z"))
    assert isinstance(first, Review) and isinstance(second, Review)
    assert first.external_id != second.external_id and first.annotation_id == second.annotation_id


def test_effort_counts_the_brush_regions_changed_on_edited_frames() -> None:
    task = _task(n_frames=5, max_frames=4)
    a, b, c = box_mask(24, 32, 0, 0, 3), box_mask(24, 32, 20, 20, 3), box_mask(24, 32, 10, 10, 4)
    predicted = task["predictions"][0]["result"]
    # frame item 0 kept, item 1 redrawn with two regions, item 3: the prediction plus one new region
    result = [verdict_result("unsatisfactory"), predicted[0], edit_result(a, 1), edit_result(b, 1), predicted[3],
              edit_result(c, 3)]
    result[3]["id"] = "edit1b"
    review = parse_annotation(project_id=5, task=task, annotation=_annotation(result))
    assert isinstance(review, Review)
    assert review.frames_edited == (2, 8) and review.regions_changed == 3
    assert review.seconds == 42.5 and review.clicks is None


def test_no_edit_means_no_regions_changed() -> None:
    task = _task()
    result = list(task["predictions"][0]["result"]) + [verdict_result("satisfactory")]
    review = parse_annotation(project_id=5, task=task, annotation=_annotation(result))
    assert isinstance(review, Review) and review.frames_edited == () and review.regions_changed == 0


def _objects_task() -> dict[str, Any]:
    from ui_adapters.records import VideoForObjects
    from ui_adapters.task_builder import mask_to_coco, video_to_objects_task

    video = VideoForObjects(video_id=4, video_label="ds video 4 (abcd)", frame_indices=(0, 3, 6), frame_urls=("a", "b", "c"),
                            height=24, width=32, model_version="m@1", known={1: mask_to_coco(box_mask(24, 32, 2, 2, 5))})
    task = video_to_objects_task(video, round_id=2, max_frames=8)
    task["id"] = 50
    return task


def test_an_objects_task_shows_the_known_masks_and_asks_for_new_objects() -> None:
    task = _objects_task()
    assert task["data"]["kind"] == "add_objects" and task["data"]["video_id"] == 4
    assert task["data"]["frame_indices"] == [0, 3, 6] and "ADD OBJECTS" in task["data"]["context"]
    (known,) = task["predictions"][0]["result"]
    assert known["item_index"] == 1 and known["value"]["brushlabels"] == ["masklet"]


def test_each_new_object_region_is_one_drawn_object_on_its_frame() -> None:
    from ui_adapters.annotation_parser import parse_objects_annotation

    task = _objects_task()
    a, b = box_mask(24, 32, 10, 10, 4), box_mask(24, 32, 0, 20, 3)
    first, second = edit_result(a, 0), edit_result(b, 2)
    for r in (first, second):
        r["value"]["brushlabels"] = ["new object"]
    result = [task["predictions"][0]["result"][0], first, second, edit_result(box_mask(24, 32, 0, 0, 2), 1)]
    drawn = parse_objects_annotation(project_id=5, task=task, annotation=_annotation(result), emails={3: "r@x.org"})
    assert [(o.video_id, o.frame_index, o.reviewer_email) for o in drawn] == [(4, 0, "r@x.org"), (4, 6, "r@x.org")]
    assert np.array_equal(coco_to_mask(drawn[0].mask), a) and np.array_equal(coco_to_mask(drawn[1].mask), b)
    assert drawn[0].external_id == "label-studio:5:77:2026-11-21T10:05:00.123456+00:00:object0"
    assert parse_objects_annotation(project_id=5, task=task, annotation=_annotation([])) == []
    # a masklet review never reads an objects task as a review
    out = parse_annotation(project_id=5, task=task, annotation=_annotation([verdict_result("satisfactory")]))
    assert isinstance(out, RejectedAnnotation) and "add-objects task" in out.reason
    first["original_width"] = 31
    bad = parse_objects_annotation(project_id=5, task=task, annotation=_annotation([first]))
    assert isinstance(bad, RejectedAnnotation) and "24x31" in bad.reason
