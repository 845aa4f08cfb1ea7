"""COCO export of masklets: one image per stored frame, one annotation per (masklet, frame).

Document shape (COCO instance segmentation plus video fields, as YouTube-VIS/TAO-style tools read)::

    {"info": {...}, "categories": [{"id": 1, "name": "object"}],
     "videos": [{"id": video_id, "name": seq, "width": W, "height": H, "length": n_frames}],
     "images": [{"id": ..., "video_id": ..., "frame_index": k, "file_name": "<seq>/<k:05d>.jpg",
                 "width": W, "height": H}],
     "annotations": [{"id": ..., "image_id": ..., "video_id": ..., "track_id": masklet_id,
                      "category_id": 1, "segmentation": {"size": [H, W], "counts": str},
                      "area": px, "bbox": [x, y, w, h], "iscrowd": 0, "score": s}]}

Frames where a masklet's mask is empty get no annotation.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.masks.rle import rle_area, rle_bbox
from storage.records import MaskletBlob


@dataclass(frozen=True)
class CocoVideo:
    """A video as exported: catalog id, sequence (folder) name, size in px, stored frame count."""

    video_id: int
    name: str
    width: int
    height: int
    n_frames: int


def frame_file_name(sequence: str, frame_index: int) -> str:
    """Relative file name of an exported frame."""
    return f"{sequence}/{frame_index:05d}.jpg"


def build_coco(
    videos: list[CocoVideo], masklets: list[tuple[int, int, MaskletBlob]], *, description: str
) -> dict:
    """COCO document for ``videos`` and ``masklets`` given as ``(masklet_id, video_id, blob)``."""
    images: list[dict] = []
    image_id: dict[tuple[int, int], int] = {}
    for video in sorted(videos, key=lambda v: v.video_id):
        for k in range(video.n_frames):
            image_id[(video.video_id, k)] = len(images) + 1
            images.append({
                "id": len(images) + 1, "video_id": video.video_id, "frame_index": k,
                "file_name": frame_file_name(video.name, k), "width": video.width, "height": video.height,
            })
    annotations: list[dict] = []
    for masklet_id, video_id, blob in sorted(masklets, key=lambda m: (m[1], m[0])):
        scores = blob.scores or tuple(1.0 for _ in blob.frame_indices)
        for k, rle, score in zip(blob.frame_indices, blob.rles, scores):
            area = rle_area(rle)
            if area == 0 or (video_id, k) not in image_id:
                continue
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id[(video_id, k)], "video_id": video_id,
                "track_id": masklet_id, "category_id": 1,
                "segmentation": {"size": list(rle["size"]), "counts": rle["counts"]},
                "area": area, "bbox": rle_bbox(rle), "iscrowd": 0, "score": float(score),
            })
    return {
        "info": {"description": description, "version": "1.0"},
        "licenses": [],
        "categories": [{"id": 1, "name": "object", "supercategory": "object"}],
        "videos": [{"id": v.video_id, "name": v.name, "width": v.width, "height": v.height, "length": v.n_frames}
                   for v in sorted(videos, key=lambda v: v.video_id)],
        "images": images,
        "annotations": annotations,
    }
