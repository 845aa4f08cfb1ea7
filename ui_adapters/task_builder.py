"""Masklet -> Label Studio task with a brush prediction per shown frame (and a video's "add
objects" task: :func:`video_to_objects_task`).

A task's ``data`` (the contract with :mod:`ui_adapters.annotation_parser`)::

    frames         list[str]  URLs of the shown frames (the paginated clip)
    frame_indices  list[int]  video frame index of each shown frame (item_index -> frame)
    scores         list[float] model score of each shown frame
    masklet_id, revision (int), video (str), model_version (str), height, width (int, pixels)
    round_id (int), context (str, the visible header)
    n_frames (int, frames of the masklet), lowest_score (float), thumbnail (str, first frame URL)
    review_status (str, :data:`TO_REVIEW` or "superseded by rev N", set by the UI adapter)

The three scalar columns, the thumbnail and ``review_status`` are what the task list shows; the raw
lists are hidden by the project's default view (:mod:`ui_adapters.label_studio_ui`).

The prediction holds one ``brushlabels`` result per shown frame (``item_index`` = position in the
clip, ``score`` = that frame's score, ``meta.text`` = "frame F (page P), score S", which Label
Studio shows as the region's note in its Regions panel) with the frame's mask as brush RLE (0/255
RGBA), plus the prediction-level ``model_version`` and ``score`` (mean of the shown frames' scores).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from ui_adapters.brush_rle import binary_mask_to_rle
from ui_adapters.errors import InvalidInputError
from ui_adapters.label_config import BRUSH_TAG, DEFAULT_LABEL, FRAMES_TAG, NEW_OBJECT_LABEL
from ui_adapters.records import CocoRle, MaskletForReview, VideoForObjects

CHECK_FIRST = 3  # lowest-scored shown frames the header names first (page in the clip, video frame)
TO_REVIEW = "to review"  # review_status of a task that still needs a decision


def select_frames(n_frames: int, max_frames: int) -> list[int]:
    """Positions (0..n_frames-1) of the frames to show: all, or ``max_frames`` evenly spaced
    including the first and the last frame."""
    if n_frames <= 0 or max_frames <= 0:
        raise InvalidInputError(f"need n_frames > 0 and max_frames > 0, got {n_frames}, {max_frames}")
    if n_frames <= max_frames:
        return list(range(n_frames))
    if max_frames == 1:
        return [0]
    picks = np.floor(np.linspace(0, n_frames - 1, max_frames) + 0.5).astype(int)
    return [int(p) for p in picks]


def coco_to_mask(rle: CocoRle) -> np.ndarray:
    """COCO RLE -> ``(H, W)`` uint8 mask of 0/1."""
    try:
        with warnings.catch_warnings():  # pycocotools 2.0.11 trips numpy 2's copy= deprecation
            warnings.simplefilter("ignore", DeprecationWarning)
            return mask_utils.decode({"size": [rle.height, rle.width], "counts": rle.counts.encode("ascii")})
    except Exception as exc:  # pycocotools raises bare exceptions on malformed counts
        raise InvalidInputError(f"malformed COCO RLE of size {rle.height}x{rle.width}") from exc


def mask_to_coco(mask: np.ndarray) -> CocoRle:
    """``(H, W)`` bool/0-1 mask -> COCO RLE."""
    enc = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8, copy=False)))
    return CocoRle(height=int(mask.shape[0]), width=int(mask.shape[1]), counts=enc["counts"].decode("ascii"))


def _context(m: MaskletForReview, shown: list[int]) -> str:
    """The header: who and what, the frames to check first, and every page's video frame number."""
    frames = [m.frame_indices[k] for k in shown]
    scores = [m.scores[k] for k in shown]
    sub = "" if len(shown) == len(m.frame_indices) else f" ({len(shown)} of {len(m.frame_indices)} frames shown)"
    worst = sorted(range(len(shown)), key=lambda pos: (scores[pos], pos))[:CHECK_FIRST]
    check = ", ".join(f"page {pos + 1} = frame {frames[pos]} ({scores[pos]:.2f})" for pos in worst)
    pages = " ".join(f"{pos + 1}:{f}" for pos, f in enumerate(frames))
    return (
        f"Video {m.video_label} | masklet {m.masklet_id} rev {m.revision} | model {m.model_version} "
        f"| check first: {check} | page:frame {pages}{sub} | mean score {np.mean(scores):.2f}"
    )


def region_note(*, frame: int, page: int, score: float | None) -> str:
    """The text Label Studio shows beside a frame's region: ``frame 17 (page 6), score 0.83``."""
    return f"frame {frame} (page {page})" + ("" if score is None else f", score {score:.2f}")


def brush_result(
    *, mask: np.ndarray, item_index: int, score: float | None, label: str, frame: int | None = None
) -> dict[str, Any]:
    """One ``brushlabels`` result for clip position ``item_index`` from a ``(H, W)`` binary mask;
    with ``frame`` (the video frame number) the region carries its :func:`region_note`."""
    out: dict[str, Any] = {
        "id": f"frame{item_index}",
        "from_name": BRUSH_TAG,
        "to_name": FRAMES_TAG,
        "type": "brushlabels",
        "original_width": int(mask.shape[1]),
        "original_height": int(mask.shape[0]),
        "image_rotation": 0,
        "item_index": int(item_index),
        "value": {"format": "rle", "rle": binary_mask_to_rle(mask), "brushlabels": [label]},
    }
    if score is not None:
        out["score"] = float(score)
    if frame is not None:
        out["meta"] = {"text": [region_note(frame=frame, page=item_index + 1, score=score)]}
    return out


def masklet_to_task(
    masklet: MaskletForReview, *, round_id: int, max_frames: int, label: str = DEFAULT_LABEL
) -> dict[str, Any]:
    """The import payload (``data`` + ``predictions``) of one masklet's review task."""
    shown = select_frames(len(masklet.frame_indices), max_frames)
    results = [
        brush_result(
            mask=coco_to_mask(masklet.masks[k]), item_index=pos, score=masklet.scores[k], label=label,
            frame=masklet.frame_indices[k],
        )
        for pos, k in enumerate(shown)
    ]
    scores = [round(masklet.scores[k], 4) for k in shown]
    data = {
        "frames": [masklet.frame_urls[k] for k in shown],
        "frame_indices": [masklet.frame_indices[k] for k in shown],
        "scores": scores,
        "masklet_id": masklet.masklet_id,
        "revision": masklet.revision,
        "video": masklet.video_label,
        "model_version": masklet.model_version,
        "height": masklet.height,
        "width": masklet.width,
        "round_id": round_id,
        "context": _context(masklet, shown),
        "n_frames": len(masklet.frame_indices),
        "lowest_score": min(scores),
        "thumbnail": masklet.frame_urls[shown[0]],
        "review_status": TO_REVIEW,
    }
    prediction = {
        "model_version": masklet.model_version,
        "score": float(np.mean([masklet.scores[k] for k in shown])),
        "result": results,
    }
    return {"data": data, "predictions": [prediction]}


OBJECTS_KIND = "add_objects"  # data["kind"] of a video's "add objects" task


def video_to_objects_task(video: VideoForObjects, *, round_id: int, max_frames: int,
                          label: str = DEFAULT_LABEL) -> dict[str, Any]:
    """The import payload of one video's "add objects" task.

    ``data``: kind (:data:`OBJECTS_KIND`), video_id, video, frames, frame_indices, height, width,
    round_id, model_version, context, n_frames, thumbnail, review_status. The prediction shows,
    per shown frame, the union of the masks the round already has there (label ``label``, no score).
    """
    shown = select_frames(len(video.frame_indices), max_frames)
    frames = [video.frame_indices[k] for k in shown]
    results = [
        brush_result(mask=coco_to_mask(video.known[k]), item_index=pos, score=None, label=label, frame=frames[pos])
        for pos, k in enumerate(shown) if k in video.known
    ]
    sub = "" if len(shown) == len(video.frame_indices) else f" ({len(shown)} of {len(video.frame_indices)} frames shown)"
    pages = " ".join(f"{pos + 1}:{f}" for pos, f in enumerate(frames))
    context = (
        f"Video {video.video_label} | ADD OBJECTS: brush each object no masklet covers as '{NEW_OBJECT_LABEL}' on one "
        f"frame (one region per object), then submit; submit empty if nothing is missing | model "
        f"{video.model_version} | shown in {label!r}: the round's masks | page:frame {pages}{sub}"
    )
    data = {
        "kind": OBJECTS_KIND,
        "video_id": video.video_id,
        "video": video.video_label,
        "frames": [video.frame_urls[k] for k in shown],
        "frame_indices": frames,
        "height": video.height,
        "width": video.width,
        "round_id": round_id,
        "model_version": video.model_version,
        "context": context,
        "n_frames": len(video.frame_indices),
        "thumbnail": video.frame_urls[shown[0]],
        "review_status": TO_REVIEW,
    }
    return {"data": data, "predictions": [{"model_version": video.model_version, "result": results}]}
