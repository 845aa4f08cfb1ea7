"""Ground-truth masklets: object-id maps per frame -> masklet blobs in the store -> catalog rows.

Registration is atomic: the video row and all of its ground-truth masklets are written in ONE
catalog transaction, so a crash leaves either nothing or the complete video (the frames and blobs
written before are write-once objects, harmless if nothing refers to them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storage.catalog import masklets as catalog_masklets
from storage.catalog import videos as catalog_videos
from storage.catalog.catalog import Catalog
from storage.catalog.guard import check_writer
from storage.masks.masklet_blob import make_masklet_blob, masklet_blob_to_bytes
from storage.masks.rle import encode_rle
from storage.objects.object_store import ObjectStore
from storage.records import MaskletOrigin, MaskletStatus, NewVideo, VideoRef


@dataclass(frozen=True)
class StoredMasklet:
    """A masklet blob already in the object store, ready to be registered."""

    blob_key: str
    blob_sha256: str
    frame_indices: tuple[int, ...]
    scores: tuple[float, ...]


def store_masklet(
    *, video_sha256: str, frame_indices: list[int], rles: list[dict], store: ObjectStore,
    scores: list[float] | None = None,
) -> StoredMasklet:
    """Validate, serialize and put one masklet blob (content-addressed, write-once)."""
    blob = make_masklet_blob(video_sha256=video_sha256, frame_indices=frame_indices, rles=rles, scores=scores)
    key, digest = store.put_blob(masklet_blob_to_bytes(blob), content_type="application/json")
    return StoredMasklet(key, digest, blob.frame_indices, blob.scores)


def store_id_map_masklets(*, video_sha256: str, id_maps: list[np.ndarray], store: ObjectStore) -> list[StoredMasklet]:
    """One masklet per object id (> 0) over every frame of ``id_maps`` (H x W uint8 each);
    frames where the object is absent hold an empty mask. Ordered by object id."""
    ids = sorted({int(v) for ids in id_maps for v in np.unique(ids)} - {0})
    frames = list(range(len(id_maps)))
    return [
        store_masklet(video_sha256=video_sha256, frame_indices=frames,
                      rles=[encode_rle(ids_map == oid) for ids_map in id_maps], store=store)
        for oid in ids
    ]


def register_with_ground_truth(
    catalog: Catalog, video: NewVideo, masklets: list[StoredMasklet], *, actor: str, role: str
) -> VideoRef:
    """Register ``video`` and its ground-truth masklets (accepted, source "import") atomically.

    ConflictError when the video is already registered (nothing is written then).
    """
    check_writer(actor, role)
    with catalog.session(f"registering video {video.sha256[:12]} with its ground truth") as session:
        ref = catalog_videos.register_video_in_session(session, video, actor=actor, role=role)
        for masklet in masklets:
            catalog_masklets.add_masklet_in_session(
                session, video_id=ref.id, origin=MaskletOrigin.GROUND_TRUTH, blob_key=masklet.blob_key,
                blob_sha256=masklet.blob_sha256, frame_indices=list(masklet.frame_indices),
                scores=list(masklet.scores), status=MaskletStatus.ACCEPTED, source="import", actor=actor, role=role,
            )
    return ref
