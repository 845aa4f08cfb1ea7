"""Refine unsatisfactory masklets: the reviewer's corrected frames become mask prompts, the
round's model re-propagates them through the video, the result is a new revision (source
``refinement``) sent back to review (status ``in_review``).

One SAM 2 session per video tracks every masklet that needs a fix there (batched objects).
Frames before a masklet's first corrected frame keep the corrected revision's masks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from prefect import task
from prefect.cache_policies import NONE

from flows.cycle.champion import load_registered
from flows.cycle.media import load_frames, masklet_masks, store_masks
from flows.cycle.propagation import propagate_prompts
from flows.cycle.verdicts import covered_frames
from flows.cycle.workspace import Workspace
from flows.orchestration.gpu_slot import gpu_slot
from storage.catalog.generation import GeneratedMasklet
from storage.catalog.masklets import masklet_revision_blob
from storage.catalog.model_aliases import model_by_id
from storage.catalog.refinement import add_refinement
from storage.catalog.rounds import get_round, round_masklets
from storage.catalog.videos import get_video
from storage.records import MaskletStatus


@dataclass(frozen=True)
class RefineResult:
    """Masklets refined (new revision, back in review) in one refinement step."""

    round_id: int
    refined: tuple[int, ...]


def corrected_frames(ws: Workspace, row: pd.Series, n_frames: int) -> dict[int, np.ndarray]:
    """Frames where the current (corrected) revision differs from the one before: frame -> mask."""
    current = masklet_masks(ws.store, row.blob_key, n_frames)
    if int(row.revision) < 2:
        return {}
    before_key, _ = masklet_revision_blob(ws.catalog, int(row.masklet_id), int(row.revision) - 1)
    before = masklet_masks(ws.store, before_key, n_frames)
    changed = np.flatnonzero((current != before).reshape(n_frames, -1).any(axis=1))
    return {int(f): current[f] for f in changed}


def refine_video(ws: Workspace, *, model, video_id: int, rows: pd.DataFrame) -> list[int]:
    """Re-propagate every needs_fix masklet of one video; returns the refined masklet ids."""
    video = get_video(ws.catalog, video_id)
    frames = load_frames(ws.store, video)
    prompts = {}
    currents = {}
    for row in rows.itertuples():
        currents[int(row.masklet_id)] = (row, masklet_masks(ws.store, row.blob_key, video.n_frames))
        fixes = corrected_frames(ws, row, video.n_frames)
        if any(m.any() for m in fixes.values()):  # erasures alone are already the revision
            prompts[int(row.masklet_id)] = fixes
    with gpu_slot():
        tracked, scores = propagate_prompts(model, frames, prompts)
    refined = []
    for mid, (row, current) in currents.items():
        if mid in tracked:
            first = min(prompts[mid])
            merged = current.copy()
            merged[first:] = tracked[mid][first:]
            frame_scores = np.where(np.arange(video.n_frames) >= first, scores[mid], 1.0)
        else:  # nothing changed on any frame: the corrected revision is sent back as it is
            merged, frame_scores = current, np.ones(video.n_frames, np.float32)
        frames_kept = covered_frames(merged)
        stored = store_masks(ws.store, video_sha256=video.sha256, masks=merged, frames=frames_kept,
                             scores=[float(frame_scores[f]) for f in frames_kept])
        rev = add_refinement(ws.catalog, mid, expect_revision=int(row.revision), **ws.who,
                             revised=GeneratedMasklet(stored.blob_key, stored.blob_sha256, stored.frame_indices,
                                                      stored.scores))
        if rev is not None:
            refined.append(mid)
    return refined


@task(cache_policy=NONE)
def refine_round(ws: Workspace, round_id: int) -> RefineResult:
    """Refine every ``needs_fix`` masklet of the round with the round's model."""
    masklets = round_masklets(ws.catalog, round_id)
    todo = masklets[masklets["status"] == MaskletStatus.NEEDS_FIX]
    if todo.empty:
        return RefineResult(round_id, ())
    rnd = get_round(ws.catalog, round_id)
    model = load_registered(ws, model_by_id(ws.catalog, int(rnd.model_version_id)))
    refined: list[int] = []
    for video_id, rows in todo.groupby("video_id"):
        refined += refine_video(ws, model=model, video_id=int(video_id), rows=rows)
    return RefineResult(round_id, tuple(refined))
