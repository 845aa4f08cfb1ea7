"""A dataset version as arrays: training videos (frames + masks per object) and validation
sequences (frames + ground-truth id maps) of its frozen splits.

Training uses the members of the ``train`` split whose origin is in ``origins``; validation uses
the ground-truth members of the ``val`` split (the version's frozen validation set: a video's split
never changes once committed).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from flows.cycle.media import load_frames, masklet_masks
from flows.cycle.workspace import Workspace
from flows.errors import InvalidInputError


@dataclass(frozen=True)
class TrainVideo:
    """frames uint8 [T, H, W, 3]; masks bool [K, T, H, W] (one per member masklet)."""

    video_id: int
    frames: np.ndarray
    masks: np.ndarray


@dataclass(frozen=True)
class ValSequence:
    """frames uint8 [T, H, W, 3]; id_maps uint8 [T, H, W] (0 background, k = k-th ground-truth object)."""

    video_id: int
    frames: np.ndarray
    id_maps: np.ndarray


def _members(ws: Workspace, ref: str, split: str, origins: tuple[str, ...]) -> pd.DataFrame:
    from storage.versions.members import version_members
    members = version_members(ws.catalog, ref)
    return members[(members["split"] == split) & members["origin"].isin(origins)]


def training_videos(ws: Workspace, ref: str, *, origins: tuple[str, ...]) -> list[TrainVideo]:
    """Train-split videos of version ``ref`` with at least one non-empty member mask."""
    from storage.catalog.videos import get_video
    out = []
    for video_id, rows in _members(ws, ref, "train", origins).groupby("video_id"):
        video = get_video(ws.catalog, int(video_id))
        masks = np.stack([masklet_masks(ws.store, key, video.n_frames) for key in rows["blob_key"]])
        masks = masks[masks.reshape(len(masks), -1).any(axis=1)]
        if len(masks):
            out.append(TrainVideo(int(video_id), load_frames(ws.store, video), masks))
    if not out:
        raise InvalidInputError(f"{ref} has no training masklets of origin {', '.join(origins)} in its train split; "
                                "accept some masklets of training videos and commit a new version")
    return out


def validation_sequences(ws: Workspace, ref: str) -> list[ValSequence]:
    """Val-split videos of version ``ref`` with their ground-truth objects as id maps."""
    from storage.catalog.videos import get_video
    out = []
    for video_id, rows in _members(ws, ref, "val", ("ground_truth",)).groupby("video_id"):
        video = get_video(ws.catalog, int(video_id))
        id_maps = np.zeros((video.n_frames, video.height, video.width), np.uint8)
        for k, key in enumerate(rows.sort_values("masklet_id")["blob_key"], start=1):
            id_maps[masklet_masks(ws.store, key, video.n_frames)] = k
        if id_maps.any():
            out.append(ValSequence(int(video_id), load_frames(ws.store, video), id_maps))
    if not out:
        raise InvalidInputError(f"{ref} has no ground-truth masklets in its validation split; import ground truth "
                                "for some validation videos (maskloop import davis/sav) before retraining")
    return out


def validation_digest(ws: Workspace, ref: str) -> str:
    """sha256 over the validation members' blob hashes: equal digests mean the same val set."""
    rows = _members(ws, ref, "val", ("ground_truth",)).sort_values("masklet_id")
    return hashlib.sha256(",".join(rows["blob_sha256"]).encode()).hexdigest()
