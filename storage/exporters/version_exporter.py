"""Export an immutable dataset version ``NAME@N`` as SA-V JSON, DAVIS PNGs or COCO.

Every format writes the stored frames too, so the export is usable on its own:

- ``davis``: ``OUT/JPEGImages/480p/<seq>/00000.jpg``, ``OUT/Annotations/480p/<seq>/00000.png``
  (palette PNG, object id i = the i-th masklet of the video by masklet id; a later masklet wins
  where two overlap), ``OUT/ImageSets/<split>.txt``;
- ``sav``: ``OUT/JPEGImages/<seq>/00000.jpg``, ``OUT/annotations/<seq>_manual.json`` (one SA-V file
  per video, every masklet of the version on it);
- ``coco``: ``OUT/images/<seq>/00000.jpg``, ``OUT/annotations.json`` (see storage/masks/coco_export.py).

Every format also writes ``OUT/export.json``: the version, its manifest sha256, and per sequence
the catalog video id, video sha256, split and masklet ids (object order). ``<seq>`` is
``video_<id:06d>``. Each masklet blob is checked against its catalog sha256 before use.
OUT must be absent or an empty folder (nothing is ever overwritten).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from storage.catalog.catalog import Catalog
from storage.catalog.videos import get_video
from storage.errors import ConflictError, InvalidInputError
from storage.masks.coco_export import CocoVideo, build_coco
from storage.masks.davis_png import write_davis_mask
from storage.masks.masklet_blob import masklet_blob_from_bytes
from storage.masks.rle import decode_rle
from storage.masks.sav_json import build_sav, write_sav
from storage.objects.object_store import ObjectStore, sha256_hex
from storage.records import MaskletBlob, VideoRef, frame_key
from storage.versions.members import get_version, version_members

ExportFormat = Literal["sav", "davis", "coco"]
FORMATS: tuple[str, ...] = ("sav", "davis", "coco")


@dataclass(frozen=True)
class ExportSummary:
    """What was written: version name, format, folder, and counts."""

    version: str
    fmt: str
    out: Path
    n_videos: int
    n_masklets: int
    n_frames: int


def _sequence(video_id: int) -> str:
    return f"video_{video_id:06d}"


def _load_blob(store: ObjectStore, key: str, sha256: str, video_sha256: str, masklet_id: int) -> MaskletBlob:
    data = store.get_bytes(key)
    if sha256_hex(data) != sha256:
        raise ConflictError(f"masklet {masklet_id}: blob {key} does not match its catalog sha256; the store is damaged")
    blob = masklet_blob_from_bytes(data)
    if blob.video_sha256 != video_sha256:
        raise ConflictError(f"masklet {masklet_id}: blob belongs to another video")
    return blob


def _prepare_out(out: Path) -> Path:
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidInputError(f"{out} exists and is not an empty folder; export into a new folder")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _write_frames(store: ObjectStore, video: VideoRef, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(video.n_frames):
        (folder / f"{k:05d}.jpg").write_bytes(store.get_bytes(frame_key(video.sha256, k)))
    return video.n_frames


def _davis_id_maps(video: VideoRef, blobs: list[MaskletBlob]) -> list[np.ndarray]:
    if len(blobs) > 255:
        raise InvalidInputError(f"video {video.id} has {len(blobs)} masklets; DAVIS PNGs hold at most 255 objects")
    maps = [np.zeros((video.height, video.width), dtype=np.uint8) for _ in range(video.n_frames)]
    for object_id, blob in enumerate(blobs, start=1):
        for k, rle in zip(blob.frame_indices, blob.rles):
            if k < video.n_frames:
                maps[k][decode_rle(rle)] = object_id
    return maps


def export_version(catalog: Catalog, store: ObjectStore, ref: str, *, fmt: ExportFormat, out: Path) -> ExportSummary:
    """Write dataset version ``ref`` (``NAME@N``) in format ``fmt`` into the new folder ``out``."""
    if fmt not in FORMATS:
        raise InvalidInputError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    version = get_version(catalog, ref)
    members = version_members(catalog, ref)
    out = _prepare_out(out)
    by_video: dict[int, list[tuple[int, str, MaskletBlob]]] = {}
    splits: dict[int, str] = {}
    for row in members.sort_values("masklet_id").itertuples(index=False):
        blob = _load_blob(store, row.blob_key, row.blob_sha256, row.video_sha256, int(row.masklet_id))
        by_video.setdefault(int(row.video_id), []).append((int(row.masklet_id), str(row.origin), blob))
        splits[int(row.video_id)] = str(row.split)
    videos = {vid: get_video(catalog, vid) for vid in sorted(by_video)}
    n_frames = 0
    coco_videos: list[CocoVideo] = []
    coco_masklets: list[tuple[int, int, MaskletBlob]] = []
    index: dict[str, dict] = {}
    for vid, video in videos.items():
        seq, items = _sequence(vid), by_video[vid]
        index[seq] = {"video_id": vid, "video_sha256": video.sha256, "split": splits[vid], "fps": video.fps,
                      "masklet_ids": [m for m, _, _ in items]}
        if fmt == "davis":
            n_frames += _write_frames(store, video, out / "JPEGImages" / "480p" / seq)
            for k, ids in enumerate(_davis_id_maps(video, [b for _, _, b in items])):
                write_davis_mask(out / "Annotations" / "480p" / seq / f"{k:05d}.png", ids)
        elif fmt == "sav":
            n_frames += _write_frames(store, video, out / "JPEGImages" / seq)
            per_frame = [dict(zip(b.frame_indices, b.rles)) for _, _, b in items]
            doc = build_sav(
                video_id=seq, height=video.height, width=video.width, fps=video.fps,
                source_frame_count=video.n_frames,
                masklets=[[m.get(k) for k in range(video.n_frames)] for m in per_frame],
                masklet_ids=[m for m, _, _ in items],
                masklet_types=["auto" if origin == "auto" else "manual" for _, origin, _ in items],
                split=splits[vid],
            )
            write_sav(out / "annotations" / f"{seq}_manual.json", doc)
        else:
            n_frames += _write_frames(store, video, out / "images" / seq)
            coco_videos.append(CocoVideo(vid, seq, video.width, video.height, video.n_frames))
            coco_masklets.extend((m, vid, b) for m, _, b in items)
    if fmt == "coco":
        doc = build_coco(coco_videos, coco_masklets, description=f"maskloop {version.name}")
        (out / "annotations.json").write_text(json.dumps(doc), encoding="utf-8")
    if fmt == "davis":
        image_sets = out / "ImageSets"
        image_sets.mkdir(exist_ok=True)
        for split in sorted(set(splits.values())):
            names = [s for s, info in index.items() if info["split"] == split]
            (image_sets / f"{split}.txt").write_text("".join(f"{n}\n" for n in names), encoding="utf-8")
    manifest = {"version": version.name, "manifest_sha256": version.manifest_sha256, "format": fmt, "sequences": index}
    (out / "export.json").write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return ExportSummary(version=version.name, fmt=fmt, out=out, n_videos=len(videos),
                         n_masklets=len(members), n_frames=n_frames)
