"""Review through a review UI (Label Studio): open a round's project, sync reviews, close it.

open: every ``in_review`` masklet revision of the round becomes a task (reopening adds only new
revisions, e.g. refined ones), and every video of the round gets one "add objects" task showing
the round's masks, where a reviewer draws the objects nobody proposed (a round that proposed
nothing still opens with those). sync: stateless and idempotent -- reviews whose external id the
catalog already holds are skipped; each new one is recorded with its corrections
(flows/cycle/verdicts.py); each drawn object becomes a manual masklet in review through
:func:`flows.cycle.add_object.add_object` (idempotent per drawing), tracked by the round's model;
then unsatisfactory masklets are refined and everything new is reopened. The round's state
follows: in_review -> refining -> in_review; it never waits for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from flows.cycle.add_object import add_object
from flows.cycle.verdicts import record_verdict
from flows.cycle.workspace import Workspace
from flows.errors import ConflictError
from storage.catalog.model_aliases import model_by_id
from storage.catalog.reviews import review_external_ids
from storage.catalog.rounds import (
    get_round,
    round_masklets,
    round_videos,
    set_round_project,
    set_round_status,
)
from storage.catalog.videos import get_video
from storage.masks.rle import decode_rle, encode_rle
from storage.records import MaskletStatus, RoundStatus

if TYPE_CHECKING:
    import pandas as pd

    from storage.records import VideoRef
    from ui_adapters.records import VideoForObjects
    from ui_adapters.review_ui import ReviewUI


@dataclass(frozen=True)
class SyncResult:
    """Reviews recorded by one sync, and annotations the UI could not turn into reviews."""

    round_id: int
    recorded: int
    skipped: int
    rejected: int
    objects_added: int = 0
    objects_pending: int = 0  # "add objects" tasks nobody has submitted yet


def review_ui(ws: Workspace) -> ReviewUI:
    """The Label Studio review UI configured in settings (frames via its S3 storage or presigned URLs).

    With ``webhook_url`` set, opening a round's review registers one webhook on its project
    (ANNOTATION_CREATED / ANNOTATION_UPDATED, ``webhook_secret`` in the ``X-Maskloop-Webhook-Secret``
    header), so Label Studio notifies the receiver (flows/webhook_app.py) of every submitted review.
    """
    from ui_adapters.label_studio_ui import LabelStudioReviewUI
    from ui_adapters.records import S3FrameStorage

    s = ws.settings
    token = s.label_studio_token.get_secret_value() if s.label_studio_token else ""
    storage = None
    if s.uses_s3:
        scheme = "https" if s.s3_secure else "http"
        storage = S3FrameStorage(bucket=s.s3_bucket, endpoint=f"{scheme}://{s.s3_endpoint}",
                                 access_key=s.s3_access_key.get_secret_value() if s.s3_access_key else "",
                                 secret_key=s.s3_secret_key.get_secret_value() if s.s3_secret_key else "",
                                 region=s.s3_region)
    hook_url = s.webhook_url or None
    hook_secret = s.webhook_secret.get_secret_value() if s.webhook_secret and hook_url else None
    return LabelStudioReviewUI(url=s.label_studio_url or "", token=token, frame_storage=storage,
                               webhook_url=hook_url, webhook_secret=hook_secret)


def _video_label(video: VideoRef) -> str:
    """How a reviewer sees a video: its dataset, id and content hash (the catalog keeps no file name:
    videos are de-identified at ingest), e.g. ``surgery video 3 (1a2b3c4d)``."""
    return f"{video.dataset} video {video.id} ({video.sha256[:8]})"


def _video_for_objects(ws: Workspace, video: VideoRef, masklets: pd.DataFrame, model_label: str) -> VideoForObjects:
    """A video's "add objects" task input: its shown frames and, on each, the union of the round's
    masks there (masklets in review or accepted)."""
    from flows.cycle.media import load_blob
    from ui_adapters.records import VideoForObjects
    from ui_adapters.task_builder import select_frames

    frames = select_frames(video.n_frames, ws.settings.review_max_frames)
    position = {f: k for k, f in enumerate(frames)}
    union: dict[int, np.ndarray] = {}
    live = masklets[(masklets["video_id"] == video.id)
                    & masklets["status"].isin([MaskletStatus.IN_REVIEW, MaskletStatus.ACCEPTED])]
    for row in live.itertuples():
        blob = load_blob(ws.store, row.blob_key)
        for f, rle in zip(blob.frame_indices, blob.rles):
            if f in position:
                mask = decode_rle(rle).astype(bool)
                union[position[f]] = union[position[f]] | mask if position[f] in union else mask
    return VideoForObjects(
        video_id=video.id, video_label=_video_label(video), frame_indices=tuple(frames),
        frame_urls=tuple(_frame_url(ws, video.frame_key(f)) for f in frames), height=video.height,
        width=video.width, model_version=model_label,
        known={k: encode_rle(m) for k, m in union.items() if m.any()})


def _frame_url(ws: Workspace, key: str) -> str:
    return f"s3://{ws.settings.s3_bucket}/{key}" if ws.settings.uses_s3 else ws.store.presigned_url(key)


def open_round_review(ws: Workspace, round_id: int, ui: ReviewUI) -> int:
    """Create/extend the round's review project; returns its project id."""
    from flows.cycle.media import load_blob
    from ui_adapters.records import MaskletForReview, ReviewRound

    rnd = get_round(ws.catalog, round_id)
    if rnd.status == RoundStatus.CLOSED:
        raise ConflictError(f"round {round_id} is closed; its review cannot be reopened")
    model = model_by_id(ws.catalog, rnd.model_version_id) if rnd.model_version_id else None
    label = f"{model.ref.name}@{model.ref.version}" if model else "unknown"
    items = []
    masklets = round_masklets(ws.catalog, round_id)
    for row in masklets.itertuples():
        if row.status != MaskletStatus.IN_REVIEW:
            continue
        video = get_video(ws.catalog, int(row.video_id))
        blob = load_blob(ws.store, row.blob_key)
        items.append(MaskletForReview(
            masklet_id=int(row.masklet_id), revision=int(row.revision), video_label=_video_label(video),
            frame_indices=blob.frame_indices, frame_urls=tuple(_frame_url(ws, video.frame_key(f))
                                                               for f in blob.frame_indices),
            masks=blob.rles, scores=blob.scores, model_version=label))
    videos = [_video_for_objects(ws, get_video(ws.catalog, v), masklets, label) for v in round_videos(ws.catalog, round_id)]
    # the description names this catalog's round (its creation time), so a project left by another
    # catalog's round of the same number is never reused
    described = (f"maskloop annotation round {round_id} of {rnd.dataset!r}, created "
                 f"{rnd.created_at.isoformat(timespec='microseconds')}")
    project = ui.open_review(round=ReviewRound(round_id=round_id, title=rnd.dataset, description=described),
                             masklets=items,
                             max_frames=ws.settings.review_max_frames, videos=videos)
    set_round_project(ws.catalog, round_id, project.project_id, **ws.who)
    set_round_status(ws.catalog, round_id, RoundStatus.IN_REVIEW, **ws.who, details={"tasks": project.task_count})
    return project.project_id


def sync_round_reviews(ws: Workspace, round_id: int, ui: ReviewUI) -> SyncResult:
    """Record every new review of the round's project (idempotent)."""
    from ui_adapters.records import ReviewProject

    rnd = get_round(ws.catalog, round_id)
    if rnd.label_studio_project_id is None:
        raise ConflictError(f"round {round_id} has no review project yet; run `maskloop review open {round_id}`")
    project = ReviewProject(ui=ui.name, project_id=int(rnd.label_studio_project_id), round_id=round_id, url="")
    seen = review_external_ids(ws.catalog, round_id)
    batch = ui.fetch_reviews(project=project, since=None, seen=frozenset(seen))
    masklets = {int(r.masklet_id): r for r in round_masklets(ws.catalog, round_id).itertuples()}
    recorded = skipped = 0
    for review in batch.reviews:
        row = masklets.get(int(review.masklet_id))
        if row is None or int(review.revision) != int(row.revision) or row.status != MaskletStatus.IN_REVIEW:
            skipped += 1  # a review of an older revision, or of a masklet decided already
            continue
        video = get_video(ws.catalog, int(row.video_id))
        corrections = {int(f): decode_rle(rle.to_dict()) for f, rle in review.corrections.items()}
        created = record_verdict(
            ws, masklet_id=int(row.masklet_id), revision=int(row.revision), video=video, blob_key=row.blob_key,
            verdict=str(review.verdict), reviewer=review.reviewer_email or f"label-studio:{review.reviewer_id}",
            external_id=review.external_id, corrections=corrections or None,
            frames_edited=len(review.frames_edited), clicks=int(review.clicks or 0),
            regions_changed=review.regions_changed, seconds=float(review.seconds or 0.0))
        recorded += int(created)
        skipped += int(not created)
    drawn = ui.fetch_new_objects(project=project)
    added = 0
    for obj in drawn.objects:
        mask = decode_rle(obj.mask.to_dict()).astype(bool)
        added += int(add_object(ws, video_id=obj.video_id, frame=obj.frame_index, mask=mask, round_id=round_id,
                                drawn_by=obj.reviewer_email or f"label-studio:{obj.reviewer_id}").created)
    return SyncResult(round_id=round_id, recorded=recorded, skipped=skipped,
                      rejected=len(batch.rejected) + len(drawn.rejected), objects_added=added,
                      objects_pending=drawn.pending_tasks)


def close_round_review(ws: Workspace, round_id: int, ui: ReviewUI) -> None:
    """Close the round's review project (reviews already submitted stay fetchable)."""
    from ui_adapters.records import ReviewProject

    rnd = get_round(ws.catalog, round_id)
    if rnd.label_studio_project_id is not None:
        ui.close_review(project=ReviewProject(ui=ui.name, project_id=int(rnd.label_studio_project_id),
                                              round_id=round_id, url=""))
