"""SA-V annotation JSON (the SA-V dataset's per-video masklet file): read and write.

Shape of a file (one video; ``masklet[t][o]`` is the COCO RLE of object ``o`` on annotated frame
``t``, an empty mask where the object is not visible)::

    {"video_id": "sav_000001", "video_duration": 20.125, "video_frame_count": 483.0,
     "video_height": 848.0, "video_width": 480.0, "video_resolution": 407040.0,
     "video_environment": "Indoor", "video_split": "train",
     "masklet": [[{"size": [H, W], "counts": "..."}, ...], ...],
     "masklet_id": [0, 1, ...], "masklet_size_rel": [...], "masklet_size_abs": [...],
     "masklet_size_bucket": [...], "masklet_visibility_changes": [...],
     "masklet_first_appeared_frame": [...], "masklet_frame_count": [...],
     "masklet_edited_frame_count": [...], "masklet_type": ["manual", ...],
     "masklet_stability_score": [...], "masklet_num": 5}

SA-V annotates at 6 fps: annotated frame ``t`` is video frame ``4 t`` of the 24 fps video.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from storage.errors import InvalidInputError, NotFoundError
from storage.masks.rle import empty_rle, rle_area, validate_rle

SAV_ANNOTATION_STRIDE = 4  # source frames per annotated frame (24 fps video, 6 fps masks)


@dataclass(frozen=True)
class SavAnnotation:
    """A parsed SA-V file. ``masklets[o][t]`` is the RLE of object ``o`` on annotated frame ``t``
    (transposed from the file's ``masklet[t][o]``); sizes in pixels, ``height`` x ``width``."""

    video_id: str
    height: int
    width: int
    source_frame_count: int
    masklet_ids: tuple[int, ...]
    masklet_types: tuple[str, ...]
    masklets: tuple[tuple[dict, ...], ...]
    split: str | None = None

    @property
    def n_frames(self) -> int:
        return len(self.masklets[0]) if self.masklets else 0


def parse_sav(doc: object, *, name: str = "SA-V file") -> SavAnnotation:
    """Validate a loaded SA-V JSON document; InvalidInputError saying what is wrong."""
    if not isinstance(doc, dict) or "masklet" not in doc:
        raise InvalidInputError(f"{name} is not an SA-V annotation file (no 'masklet' list)")
    frames = doc["masklet"]
    if not isinstance(frames, list) or not frames or not all(isinstance(f, list) for f in frames):
        raise InvalidInputError(f"{name}: 'masklet' must be a non-empty list of per-frame lists")
    n_objects = len(frames[0])
    if n_objects == 0 or any(len(f) != n_objects for f in frames):
        raise InvalidInputError(f"{name}: every annotated frame must list the same number of objects")
    try:
        height, width = int(doc.get("video_height", 0)), int(doc.get("video_width", 0))
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name}: video_height/video_width must be numbers") from exc
    for t, frame in enumerate(frames):
        for o, rle in enumerate(frame):
            try:
                size = validate_rle(rle)
            except InvalidInputError as exc:
                raise InvalidInputError(f"{name}: frame {t}, object {o}: {exc}") from exc
            if (height, width) != (0, 0) and size != (height, width):
                raise InvalidInputError(
                    f"{name}: frame {t} has a mask of size {size[0]}x{size[1]}, video is {height}x{width}"
                )
            height, width = size
    ids = doc.get("masklet_id") or list(range(n_objects))
    types = doc.get("masklet_type") or ["manual"] * n_objects
    if len(ids) != n_objects or len(types) != n_objects:
        raise InvalidInputError(f"{name}: masklet_id/masklet_type must have one entry per object")
    return SavAnnotation(
        video_id=str(doc.get("video_id", "")),
        height=height,
        width=width,
        source_frame_count=int(doc.get("video_frame_count") or 0),
        masklet_ids=tuple(int(i) for i in ids),
        masklet_types=tuple(str(t) for t in types),
        masklets=tuple(tuple({"size": [height, width], "counts": frames[t][o]["counts"]} for t in range(len(frames)))
                       for o in range(n_objects)),
        split=doc.get("video_split"),
    )


def read_sav(path: Path) -> SavAnnotation:
    """Read and validate an SA-V JSON file."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"no such SA-V file: {path}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"{path.name} is not JSON: {exc}") from exc
    return parse_sav(doc, name=path.name)


def _visibility_changes(visible: list[bool]) -> int:
    """Disappearances + re-appearances after the first appearance (as SA-V counts them)."""
    first = next((t for t, v in enumerate(visible) if v), len(visible))
    seen = visible[first:]
    return sum(1 for a, b in itertools.pairwise(seen) if a != b)


def build_sav(
    *, video_id: str, height: int, width: int, fps: float, source_frame_count: int,
    masklets: list[list[dict | None]], masklet_ids: list[int], masklet_types: list[str], split: str | None,
) -> dict:
    """An SA-V document; ``masklets[o][t]`` is object o's RLE on frame t or None (empty mask)."""
    n_frames = max((len(m) for m in masklets), default=0)
    filled = [[(m[t] if t < len(m) and m[t] is not None else empty_rle(height, width)) for t in range(n_frames)]
              for m in masklets]
    areas = [[rle_area(r) for r in m] for m in filled]
    visible = [[a > 0 for a in m] for m in areas]
    first = [next((t for t, v in enumerate(vis) if v), -1) for vis in visible]
    sizes_abs = [float(np.mean([a for a in m if a > 0])) if any(m) else 0.0 for m in areas]
    return {
        "video_id": video_id,
        "video_duration": n_frames / fps if fps else 0.0,
        "video_frame_count": float(source_frame_count),
        "video_height": float(height),
        "video_width": float(width),
        "video_resolution": float(height * width),
        "video_environment": None,
        "video_split": split,
        "masklet": [[filled[o][t] for o in range(len(filled))] for t in range(n_frames)],
        "masklet_id": list(masklet_ids),
        "masklet_size_rel": [s / (height * width) for s in sizes_abs],
        "masklet_size_abs": sizes_abs,
        "masklet_size_bucket": [_size_bucket(s) for s in sizes_abs],
        "masklet_visibility_changes": [_visibility_changes(v) for v in visible],
        "masklet_first_appeared_frame": [float(f) for f in first],
        "masklet_frame_count": [n_frames] * len(filled),
        "masklet_edited_frame_count": [None] * len(filled),  # not tracked per frame here
        "masklet_type": list(masklet_types),
        "masklet_stability_score": [None] * len(filled),
        "masklet_num": len(filled),
    }


def _size_bucket(area: float) -> str:
    """COCO size buckets (small < 32^2 <= medium < 96^2 <= large)."""
    return "small" if area < 32**2 else "medium" if area < 96**2 else "large"


def write_sav(path: Path, doc: dict) -> None:
    """Write an SA-V document as JSON."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(doc), encoding="utf-8")
