"""The oracle as a reviewer of a round: flows/cycle/oracle_answers.py's answers, recorded like people's.

One pass reviews every ``in_review`` masklet of the round against the video's ground-truth
masklets (origin ``ground_truth``). Matching uses every live masklet of the round on the video
(in review, accepted, needing a fix), so objects already found are not drawn again. On the first
pass, ground-truth objects nobody proposed are drawn on one frame and propagated with the round's
model (both directions): manual masklets, in review, matched to the object they were drawn from
on later passes however badly the model propagated them. On the final pass an unsatisfactory masklet
gets its corrections, on every frame still wrong (earlier passes fix at most ``max_frames_fixed``
frames and send it to refinement), and is accepted when the corrected masklet reaches ``accept_jf``, otherwise
rejected. Corrections are clicks on the round's model (:mod:`flows.cycle.click_corrections`);
effort: the frames edited, clicks and drawn frames counted there, priced by the click annotator's
:class:`~model.metrics.click_annotator.CostModel` (a decision per frame looked at, i.e. every
frame the masklet covers, plus clicks and drawn frames).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from prefect import task
from prefect.cache_policies import NONE

from flows.cycle.champion import load_registered
from flows.cycle.click_corrections import frame_corrector
from flows.cycle.config import CycleConfig
from flows.cycle.drawn_objects import Drawing, register_drawing, track_drawings
from flows.cycle.media import masklet_masks
from flows.cycle.oracle_answers import ManualDrawing, OracleConfig, object_jf, review_proposals
from flows.cycle.verdicts import covered_frames, record_verdict
from flows.cycle.workspace import Workspace
from flows.errors import NotFoundError
from model.metrics.click_annotator import CostModel
from storage.catalog.masklets import list_masklets
from storage.catalog.model_aliases import model_by_id
from storage.catalog.reviews import apply_review
from storage.catalog.rounds import get_round, round_masklets, round_videos
from storage.catalog.videos import get_video
from storage.records import STATUS_OF_VERDICT, MaskletOrigin, MaskletStatus, Verdict, VideoRef

if TYPE_CHECKING:
    from model.network.refs import LoadedModel

REVIEWER = "oracle"
LIVE = (MaskletStatus.IN_REVIEW, MaskletStatus.ACCEPTED, MaskletStatus.NEEDS_FIX)


@dataclass(frozen=True)
class OraclePass:
    """What one oracle pass did (counts of masklets)."""

    round_id: int
    reviewed: int
    accepted: int
    rejected: int
    needs_fix: int
    manual: int


def ground_truth(ws: Workspace, video: VideoRef) -> dict[int, np.ndarray]:
    """Ground-truth masklet id -> bool [T, H, W] of a video; NotFoundError when it has none."""
    gt = list_masklets(ws.catalog, video_id=video.id, origin=MaskletOrigin.GROUND_TRUTH, status=MaskletStatus.ACCEPTED)
    if gt.empty:
        raise NotFoundError(f"video {video.id} has no ground-truth masklets; the oracle reviewer needs them "
                            "(import DAVIS/SA-V annotations, or review in Label Studio)")
    return {int(r.masklet_id): masklet_masks(ws.store, r.blob_key, video.n_frames) for r in gt.itertuples()}


COST = CostModel()


def _draw(ws: Workspace, *, round_id: int, video: VideoRef, frames_of: Callable[[], np.ndarray],
          model_of: Callable[[], LoadedModel], drawings: list[ManualDrawing]) -> int:
    """Manual masklets from drawings (flows/cycle/drawn_objects.py: propagated both ways, registered
    in review, as a person's ``maskloop masklet add``), then the drawing's effort accounted."""
    if not drawings:
        return 0
    drawn = {d.gt_id: Drawing(frame=d.frame_index, mask=d.mask) for d in drawings}
    stored = track_drawings(ws, video=video, model=model_of(), frames=frames_of(), drawings=drawn)
    for d in drawings:
        mid, _ = register_drawing(ws, round_id=round_id, video=video, drawing=drawn[d.gt_id], stored=stored[d.gt_id])
        apply_review(ws.catalog, masklet_id=mid, revision=1, reviewer=REVIEWER, verdict=Verdict.SATISFACTORY,
                     new_status=MaskletStatus.IN_REVIEW, external_id=f"oracle:r{round_id}:m{mid}:draw", frames_edited=1,
                     clicks=d.clicks, seconds=COST.seconds(frames=1, clicks=d.clicks, drawn=int(d.drawn)),
                     **ws.who)
    return len(drawings)


@task(cache_policy=NONE)
def oracle_pass(ws: Workspace, round_id: int, *, cfg: CycleConfig, first: bool, final: bool,
                oracle: OracleConfig | None = None) -> OraclePass:
    """Review the round's ``in_review`` masklets from ground truth (see module docstring)."""
    oracle = oracle or OracleConfig()
    from flows.cycle.media import load_frames

    masklets = round_masklets(ws.catalog, round_id)
    live = masklets[masklets["status"].isin(LIVE)]
    videos = sorted(set(live["video_id"].astype(int)) | (set(round_videos(ws.catalog, round_id)) if first else set()))
    rnd = get_round(ws.catalog, round_id)
    model_cache: list[LoadedModel] = []

    def model_of() -> LoadedModel:
        if not model_cache:
            model_cache.append(load_registered(ws, model_by_id(ws.catalog, int(rnd.model_version_id))))
        return model_cache[0]

    counts = {"reviewed": 0, "accepted": 0, "rejected": 0, "needs_fix": 0, "manual": 0}
    for video_id in videos:
        video = get_video(ws.catalog, video_id)
        gt = ground_truth(ws, video)
        rows = {int(r.masklet_id): r for r in live[live["video_id"] == video_id].itertuples()}
        proposals = {mid: masklet_masks(ws.store, r.blob_key, video.n_frames) for mid, r in rows.items()}
        drawn = {mid for mid, r in rows.items() if r.origin == MaskletOrigin.MANUAL}
        # the last pass finishes the job like a careful person: every frame still wrong is corrected
        limits = replace(oracle, max_frames_fixed=max(oracle.max_frames_fixed, video.n_frames)) if final else oracle
        frames_cache: list[np.ndarray] = []

        def frames_of(video=video, cache=frames_cache) -> np.ndarray:
            if not cache:
                cache.append(load_frames(ws.store, video))
            return cache[0]

        def correct(f: int, start, target, frames_of=frames_of):  # built on the first correction
            return frame_corrector(model_of(), list(frames_of()), threshold=oracle.threshold,
                                   cap=oracle.cap)(f, start, target)

        reviews, drawings = review_proposals(proposals, gt, frame_indices=range(video.n_frames), config=limits,
                                             drawn=drawn, correct=correct)
        for review in reviews:
            row = rows[review.proposal_id]
            if row.status != MaskletStatus.IN_REVIEW:
                continue
            status = None
            if review.verdict == Verdict.UNSATISFACTORY and final:
                fixed = proposals[review.proposal_id].copy()
                for f, m in review.corrections.items():
                    fixed[f] = m
                status = (MaskletStatus.ACCEPTED if object_jf(fixed, gt[review.gt_id])[0] >= oracle.accept_jf
                          else MaskletStatus.REJECTED)
            record_verdict(ws, masklet_id=review.proposal_id, revision=int(row.revision), video=video,
                           blob_key=row.blob_key, verdict=review.verdict, reviewer=REVIEWER,
                           external_id=f"oracle:r{round_id}:m{review.proposal_id}:v{int(row.revision)}",
                           corrections=review.corrections, frames_edited=review.frames_edited,
                           clicks=review.clicks, status=status,
                           seconds=COST.seconds(frames=len(covered_frames(proposals[review.proposal_id], set())),
                                                clicks=review.clicks, drawn=review.drawn))
            outcome = status or STATUS_OF_VERDICT[Verdict(review.verdict)]
            counts["reviewed"] += 1
            counts[outcome] += 1
        if first:
            counts["manual"] += _draw(ws, round_id=round_id, video=video, frames_of=frames_of,
                                      model_of=model_of, drawings=drawings)
    return OraclePass(round_id=round_id, **counts)
