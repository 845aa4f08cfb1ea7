"""Label Studio annotation (+ its task) -> :class:`Review` or :class:`RejectedAnnotation`.

Rules (the contract with :mod:`ui_adapters.task_builder`):

- The verdict is the single choice of the ``verdict`` control; none or an unknown one rejects.
- Brush results of the ``mask`` control are per ``item_index`` (clip position); several results
  on one frame are united. A pixel is in the mask where the alpha channel is >= 128.
- A frame is *edited* when the annotation has a brush result on it whose mask differs from the
  task's prediction (same model version) on that frame; frames without a brush result are
  unedited. Edited frames become ``corrections`` keyed by video frame index (COCO RLE).
- Effort: Label Studio's ``lead_time`` (seconds), the edited frames, and ``regions_changed``: on
  each edited frame, the brush regions whose RLE is not one of the prediction's there (at least 1).
- Rejected, with the reason: a cancelled (skipped) annotation, a task without maskloop data
  (unknown task), a brush result of the wrong size, bad RLE or item_index out of range, no verdict.
- "Add objects" tasks (``data.kind == "add_objects"``, :func:`parse_objects_annotation`): every
  non-empty brush region labelled "new object" is one :class:`DrawnObject` on the video frame of
  its item; other regions (the round's masks shown for context) and choices are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ui_adapters.brush_rle import rle_to_mask
from ui_adapters.errors import InvalidInputError
from ui_adapters.label_config import BRUSH_TAG, CHOICE_TO_VERDICT, NEW_OBJECT_LABEL, VERDICT_TAG
from ui_adapters.records import DrawnObject, RejectedAnnotation, Review, Verdict
from ui_adapters.task_builder import OBJECTS_KIND, mask_to_coco

UI_NAME = "label-studio"
ALPHA_THRESHOLD = 128


class _Reject(Exception):
    """Internal: the annotation cannot become a Review (message = reason)."""


def parse_timestamp(value: Any) -> datetime | None:
    """ISO 8601 string or datetime -> timezone-aware UTC datetime (naive input is taken as UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        stamp = value
    else:
        try:
            stamp = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC)


def external_id(*, project_id: int, annotation_id: Any, updated_at: datetime | None) -> str:
    """``label-studio:<project>:<annotation>:<updated-at ISO, UTC, microseconds>``."""
    stamp = updated_at.isoformat(timespec="microseconds") if updated_at else "-"
    return f"{UI_NAME}:{project_id}:{annotation_id}:{stamp}"


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise _Reject(f"{what} is {value!r}, not an integer")
    return int(value)


def _task_shape(data: Mapping[str, Any]) -> tuple[int, int, int, int, list[int], str, int]:
    required = ("masklet_id", "revision", "frame_indices", "height", "width", "model_version", "frames")
    missing = [k for k in required if k not in data]
    if missing:
        raise _Reject(f"unknown task: not a maskloop masklet task (data lacks {', '.join(missing)})")
    frames = data["frame_indices"]
    if not isinstance(frames, list) or not frames:
        raise _Reject("unknown task: frame_indices is not a non-empty list")
    return (
        _int(data["masklet_id"], "masklet_id"),
        _int(data["revision"], "revision"),
        _int(data["height"], "height"),
        _int(data["width"], "width"),
        [_int(f, "frame index") for f in frames],
        str(data["model_version"]),
        len(frames),
    )


def _verdict(results: list[Mapping[str, Any]]) -> Verdict:
    choices = [
        c
        for r in results
        if r.get("from_name") == VERDICT_TAG and r.get("type") == "choices"
        for c in (r.get("value") or {}).get("choices") or []
    ]
    if not choices:
        raise _Reject("no verdict: the annotation has no satisfactory/unsatisfactory/ill-defined choice")
    if len(set(choices)) > 1:
        raise _Reject(f"ambiguous verdict: several choices {sorted(set(choices))}")
    if choices[0] not in CHOICE_TO_VERDICT:
        raise _Reject(f"unknown verdict {choices[0]!r}")
    return CHOICE_TO_VERDICT[choices[0]]


def _brush_region(r: Mapping[str, Any], *, height: int, width: int, n_items: int, who: str) -> tuple[int, np.ndarray]:
    """``(item_index, bool (H, W) mask)`` of one brush result; _Reject names what is wrong."""
    item = r.get("item_index", 0)
    if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item < n_items:
        raise _Reject(f"{who}: brush item_index {item!r} is outside the task's {n_items} frames")
    if (r.get("original_height"), r.get("original_width")) != (height, width):
        raise _Reject(
            f"{who}: brush on frame item {item} is {r.get('original_height')}x"
            f"{r.get('original_width')}, the task's frames are {height}x{width}"
        )
    value = r.get("value") or {}
    if value.get("format", "rle") != "rle" or "rle" not in value:
        raise _Reject(f"{who}: brush on frame item {item} has no RLE")
    try:
        alpha = rle_to_mask(value["rle"], height=height, width=width)
    except InvalidInputError as exc:
        raise _Reject(f"{who}: bad brush RLE on frame item {item}: {exc}") from exc
    return item, alpha >= ALPHA_THRESHOLD


def _is_brush(r: Mapping[str, Any]) -> bool:
    return r.get("from_name") == BRUSH_TAG and r.get("type") == "brushlabels"


def _is_new_object(r: Mapping[str, Any]) -> bool:
    return NEW_OBJECT_LABEL in ((r.get("value") or {}).get("brushlabels") or [])


def _brush_masks(
    results: list[Mapping[str, Any]], *, height: int, width: int, n_items: int, who: str
) -> tuple[dict[int, np.ndarray], dict[int, list[list[int]]]]:
    """Binary ``(H, W)`` masks and raw RLEs per item_index of the brush results in ``results``."""
    masks: dict[int, np.ndarray] = {}
    raw: dict[int, list[list[int]]] = {}
    for r in results:
        if not _is_brush(r) or _is_new_object(r):
            continue
        item, binary = _brush_region(r, height=height, width=width, n_items=n_items, who=who)
        masks[item] = masks[item] | binary if item in masks else binary
        raw.setdefault(item, []).append(list(r["value"]["rle"]))
    return masks, raw


def _prediction_results(task: Mapping[str, Any], model_version: str) -> list[Mapping[str, Any]]:
    preds = [p for p in task.get("predictions") or [] if p.get("model_version") == model_version]
    if not preds:
        return []
    latest = max(preds, key=lambda p: (str(p.get("created_at") or ""), p.get("id") or 0))
    return list(latest.get("result") or [])


def _reviewer(annotation: Mapping[str, Any], emails: Mapping[int, str] | None) -> tuple[int | None, str | None]:
    """(Label Studio user id, e-mail) of whoever completed the annotation, where known."""
    reviewer = annotation.get("completed_by")
    reviewer_id = reviewer.get("id") if isinstance(reviewer, Mapping) else reviewer
    reviewer_id = reviewer_id if isinstance(reviewer_id, int) else None
    email = reviewer.get("email") if isinstance(reviewer, Mapping) else None
    if email is None and reviewer_id is not None and emails:
        email = emails.get(reviewer_id)
    return reviewer_id, email


def parse_annotation(
    *,
    project_id: int,
    task: Mapping[str, Any],
    annotation: Mapping[str, Any],
    emails: Mapping[int, str] | None = None,
) -> Review | RejectedAnnotation:
    """One annotation of one task (both as Label Studio JSON dicts) -> Review or RejectedAnnotation.

    ``emails`` maps Label Studio user ids to e-mail addresses (reviewer identity).
    """
    task_id = task.get("id")
    ann_id = annotation.get("id")
    updated = parse_timestamp(annotation.get("updated_at") or annotation.get("created_at"))
    ext = external_id(project_id=project_id, annotation_id=ann_id, updated_at=updated)
    try:
        if annotation.get("was_cancelled"):
            raise _Reject("skipped: the reviewer cancelled (skipped) this task")
        if not isinstance(ann_id, int):
            raise _Reject(f"annotation id {ann_id!r} is not an integer")
        if not isinstance(task_id, int):
            raise _Reject(f"unknown task: task id {task_id!r} is not an integer")
        if updated is None:
            raise _Reject("annotation has no valid updated_at timestamp")
        if (task.get("data") or {}).get("kind") == OBJECTS_KIND:
            raise _Reject("an add-objects task holds drawn objects, not a review (parse_objects_annotation)")
        masklet_id, revision, h, w, frames, model_version, n = _task_shape(task.get("data") or {})
        results = annotation.get("result")
        if not isinstance(results, list):
            raise _Reject("annotation result is not a list")
        verdict = _verdict(results)
        edited_masks, edited_raw = _brush_masks(results, height=h, width=w, n_items=n, who="annotation")
        predicted: dict[int, np.ndarray] = {}
        predicted_raw: dict[int, list[list[int]]] = {}
        if edited_masks:
            predicted, predicted_raw = _brush_masks(
                _prediction_results(task, model_version), height=h, width=w, n_items=n, who="prediction"
            )
        corrections = {}
        regions_changed = 0
        for item in sorted(edited_masks):
            if item in predicted_raw and edited_raw[item] == predicted_raw[item]:
                continue  # the reviewer kept the prediction byte for byte
            mask = edited_masks[item]
            before = predicted.get(item)
            if before is not None and np.array_equal(before, mask):
                continue
            corrections[frames[item]] = mask_to_coco(mask)
            kept = predicted_raw.get(item, [])
            regions_changed += max(1, sum(rle not in kept for rle in edited_raw[item]))
    except _Reject as exc:
        return RejectedAnnotation(
            external_id=ext,
            project_id=project_id,
            task_id=task_id if isinstance(task_id, int) else None,
            annotation_id=ann_id if isinstance(ann_id, int) else None,
            reason=str(exc),
            annotation_updated_at=updated,
        )
    reviewer_id, email = _reviewer(annotation, emails)
    lead = annotation.get("lead_time")
    return Review(
        external_id=ext,
        project_id=project_id,
        task_id=task_id,  # type: ignore[arg-type]
        masklet_id=masklet_id,
        revision=revision,
        annotation_id=ann_id,
        annotation_updated_at=updated,
        verdict=verdict,
        corrections=corrections,
        frames_edited=tuple(sorted(corrections)),
        frames_shown=tuple(frames),
        model_version=model_version,
        seconds=float(lead) if isinstance(lead, (int, float)) and not isinstance(lead, bool) else None,
        clicks=None,
        reviewer_id=reviewer_id,
        reviewer_email=email,
        regions_changed=regions_changed,
    )


def is_objects_task(task: Mapping[str, Any]) -> bool:
    """True for a video's "add objects" task (see module docstring)."""
    return (task.get("data") or {}).get("kind") == OBJECTS_KIND


def parse_objects_annotation(
    *,
    project_id: int,
    task: Mapping[str, Any],
    annotation: Mapping[str, Any],
    emails: Mapping[int, str] | None = None,
) -> list[DrawnObject] | RejectedAnnotation:
    """One annotation of an "add objects" task -> its drawn objects (possibly none), or the reason
    it is rejected."""
    task_id = task.get("id")
    ann_id = annotation.get("id")
    updated = parse_timestamp(annotation.get("updated_at") or annotation.get("created_at"))
    ext = external_id(project_id=project_id, annotation_id=ann_id, updated_at=updated)
    data = task.get("data") or {}
    try:
        if annotation.get("was_cancelled"):
            raise _Reject("skipped: the reviewer cancelled (skipped) this task")
        if not isinstance(ann_id, int) or not isinstance(task_id, int):
            raise _Reject(f"annotation {ann_id!r} of task {task_id!r}: ids must be integers")
        if updated is None:
            raise _Reject("annotation has no valid updated_at timestamp")
        for key in ("video_id", "frame_indices", "height", "width"):
            if key not in data:
                raise _Reject(f"unknown task: an add-objects task without {key}")
        video_id, h, w = _int(data["video_id"], "video_id"), _int(data["height"], "height"), _int(data["width"], "width")
        frames = [_int(f, "frame index") for f in data["frame_indices"]]
        results = annotation.get("result")
        if not isinstance(results, list):
            raise _Reject("annotation result is not a list")
        drawn = []
        for r in results:
            if not (_is_brush(r) and _is_new_object(r)):
                continue
            item, mask = _brush_region(r, height=h, width=w, n_items=len(frames), who="new object")
            if mask.any():
                drawn.append((frames[item], mask))
    except _Reject as exc:
        return RejectedAnnotation(
            external_id=ext, project_id=project_id, task_id=task_id if isinstance(task_id, int) else None,
            annotation_id=ann_id if isinstance(ann_id, int) else None, reason=str(exc),
            annotation_updated_at=updated)
    reviewer_id, email = _reviewer(annotation, emails)
    return [
        DrawnObject(external_id=f"{ext}:object{k}", project_id=project_id, task_id=task_id, annotation_id=ann_id,
                    annotation_updated_at=updated, video_id=video_id, frame_index=frame, mask=mask_to_coco(mask),
                    reviewer_id=reviewer_id, reviewer_email=email)
        for k, (frame, mask) in enumerate(drawn)
    ]
