"""Pixels and masks of the catalog as arrays: a video's frames, masklet blobs <-> mask stacks.

Frames: uint8 [T, H, W, 3] decoded from the object store's JPEG frames. Masklets: bool [T, H, W]
over every frame of the video (frames a masklet does not cover are empty). The automatic
generator's uncompressed COCO RLE (``counts`` a list) is re-encoded to the compressed string form
the catalog's blobs hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from storage.importers.gt_masklets import StoredMasklet, store_masklet
from storage.masks.masklet_blob import masklet_blob_from_bytes
from storage.masks.rle import decode_rle, encode_rle
from storage.media.jpeg import decode_jpeg
from storage.objects.object_store import ObjectStore
from storage.records import MaskletBlob, VideoRef


def load_frames(store: ObjectStore, video: VideoRef) -> np.ndarray:
    """Every stored frame of ``video``: uint8 [T, H, W, 3]."""
    keys = [video.frame_key(k) for k in range(video.n_frames)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        frames = list(pool.map(lambda key: decode_jpeg(store.get_bytes(key)), keys))
    return np.stack(frames)


def load_blob(store: ObjectStore, blob_key: str) -> MaskletBlob:
    """A masklet revision's blob."""
    return masklet_blob_from_bytes(store.get_bytes(blob_key))


def blob_masks(blob: MaskletBlob, n_frames: int) -> np.ndarray:
    """bool [n_frames, H, W]: the blob's masks on its frames, empty elsewhere."""
    h, w = (int(v) for v in blob.rles[0]["size"])
    out = np.zeros((n_frames, h, w), bool)
    for f, rle in zip(blob.frame_indices, blob.rles):
        if f < n_frames:
            out[f] = decode_rle(rle)
    return out


def masklet_masks(store: ObjectStore, blob_key: str, n_frames: int) -> np.ndarray:
    """bool [n_frames, H, W] of a stored masklet revision."""
    return blob_masks(load_blob(store, blob_key), n_frames)


def compress_rle(rle: dict) -> dict:
    """An RLE with compressed string counts (uncompressed list counts are re-encoded)."""
    if isinstance(rle.get("counts"), str):
        return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": rle["counts"]}
    from pycocotools import mask as mask_utils

    h, w = (int(v) for v in rle["size"])
    coded = mask_utils.frPyObjects({"size": [h, w], "counts": list(rle["counts"])}, h, w)
    return {"size": [h, w], "counts": coded["counts"].decode("ascii")}


def store_masks(store: ObjectStore, *, video_sha256: str, masks: np.ndarray, frames: Sequence[int] | None = None,
                scores: Sequence[float] | None = None) -> StoredMasklet:
    """Store bool [T, H, W] masks as one masklet blob over ``frames`` (default: every frame)."""
    indices = list(range(len(masks))) if frames is None else [int(f) for f in frames]
    rles = [encode_rle(masks[f]) for f in indices]
    return store_masklet(video_sha256=video_sha256, frame_indices=indices, rles=rles, store=store,
                         scores=None if scores is None else [float(min(1.0, max(0.0, s))) for s in scores])
