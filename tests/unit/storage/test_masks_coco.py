"""COCO export: one image per frame, one annotation per non-empty (masklet, frame)."""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils

from storage.masks.coco_export import CocoVideo, build_coco
from storage.masks.masklet_blob import make_masklet_blob
from storage.masks.rle import encode_rle


def test_build_coco_images_annotations_and_tracks() -> None:
    m = np.zeros((8, 10), dtype=bool)
    m[2:5, 3:7] = True
    empty = np.zeros((8, 10), dtype=bool)
    blob = make_masklet_blob(video_sha256="ab" * 32, frame_indices=[0, 1, 2],
                             rles=[encode_rle(m), encode_rle(empty), encode_rle(m)], scores=[0.9, 0.1, 0.8])
    doc = build_coco([CocoVideo(5, "video_000005", 10, 8, 3)], [(41, 5, blob)], description="t@1")
    assert [i["file_name"] for i in doc["images"]] == [f"video_000005/{k:05d}.jpg" for k in range(3)]
    anns = doc["annotations"]
    assert [a["image_id"] for a in anns] == [1, 3]
    assert all(a["track_id"] == 41 and a["category_id"] == 1 and a["iscrowd"] == 0 for a in anns)
    assert anns[0]["area"] == 12 and anns[0]["bbox"] == [3.0, 2.0, 4.0, 3.0] and anns[0]["score"] == 0.9
    seg = dict(anns[0]["segmentation"], counts=anns[0]["segmentation"]["counts"].encode())
    assert np.array_equal(mask_utils.decode(seg).astype(bool), m)
    assert doc["videos"] == [{"id": 5, "name": "video_000005", "width": 10, "height": 8, "length": 3}]
