"""The simulated reviewer (``--reviewer oracle``): answers from ground truth like a careful person.

Per proposal it finds the ground-truth object it tracks (best mean J over the proposal's frames);
no match -> ``ill_defined``; J&F at or above ``accept_jf`` -> ``satisfactory``; otherwise
``unsatisfactory`` with the worst frames corrected (each frame whose J is below ``fix_frame_j``,
worst first, at most ``max_frames_fixed``). A correction is clicks on the model, as the click
annotator makes them (:mod:`model.metrics.click_annotator`: each click at the interior of the
largest error region, until the frame's IoU reaches ``threshold`` or ``cap`` clicks, then the frame
is drawn by hand), through ``correct`` (frame index, start mask, ground truth -> FrameEffort), so
clicks and drawn frames are counted, never estimated. Ground-truth objects no proposal tracks are
annotated the same way from nothing on their first visible frame and become manual masklets. A masklet the reviewer drew (``drawn``)
is matched by its best frame, the one drawn from the ground truth, however badly the model
propagated the rest: the reviewer knows which object it drew and corrects it rather than calling it
ill-defined. Effort is accounted exactly as for people.

Masks are bool arrays [T, H, W] over the same frame indices as the ground truth.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from model.metrics.click_annotator import FrameEffort
from model.metrics.vos import boundary_f, jaccard
from storage.records import Verdict

FrameCorrector = Callable[[int, "np.ndarray | None", np.ndarray], FrameEffort]


@dataclass(frozen=True)
class OracleConfig:
    """Thresholds of the simulated reviewer (J, F, J&F, IoU in [0, 1]); threshold / cap: a
    corrected frame's IoU target and click cap (the click annotator's)."""

    match_j: float = 0.2
    accept_jf: float = 0.75
    fix_frame_j: float = 0.7
    max_frames_fixed: int = 8
    threshold: float = 0.85
    cap: int = 10


@dataclass(frozen=True)
class OracleReview:
    """The oracle's answer on one proposal. ``corrections`` maps frame index -> bool mask [H, W]."""

    proposal_id: int
    verdict: str  # satisfactory | unsatisfactory | ill_defined
    gt_id: int | None
    jf: float
    frames_edited: int
    clicks: int
    corrections: Mapping[int, np.ndarray] = field(default_factory=dict)
    drawn: int = 0


@dataclass(frozen=True)
class ManualDrawing:
    """A ground-truth object nobody proposed, drawn by hand on ``frame_index``."""

    gt_id: int
    frame_index: int
    mask: np.ndarray  # bool [H, W]
    clicks: int
    drawn: bool = False


def object_jf(pred: np.ndarray, gt: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean J&F over frames, and per-frame J [T]."""
    per_j = np.array([jaccard(p, g) for p, g in zip(pred, gt)], dtype=np.float64)
    per_f = np.array([boundary_f(p, g) for p, g in zip(pred, gt)], dtype=np.float64)
    return float((per_j.mean() + per_f.mean()) / 2.0), per_j


def _match_j(pred: np.ndarray, gt: np.ndarray, *, best_frame: bool = False) -> float:
    """Mean (``best_frame``: max) J over the frames the proposal covers (non-empty masks); 0 when empty."""
    covered = np.flatnonzero(pred.reshape(len(pred), -1).any(axis=1))
    if covered.size == 0:
        return 0.0
    per_frame = [jaccard(pred[i], gt[i]) for i in covered]
    return float(np.max(per_frame) if best_frame else np.mean(per_frame))


def review_proposals(
    proposals: Mapping[int, np.ndarray],
    ground_truth: Mapping[int, np.ndarray],
    *,
    frame_indices: Sequence[int],
    correct: FrameCorrector,
    config: OracleConfig = OracleConfig(),
    drawn: Collection[int] = (),
) -> tuple[list[OracleReview], list[ManualDrawing]]:
    """Review every proposal against the ground truth of one video.

    ``proposals``: proposal id -> bool [T, H, W]; ``ground_truth``: object id -> bool [T, H, W];
    both over ``frame_indices`` (length T); ``correct``: clicks one frame from a start mask (None:
    nothing) towards its ground truth, e.g. :func:`flows.cycle.click_corrections.frame_corrector`;
    ``drawn``: ids of proposals the reviewer drew by hand (matched on their best frame). Each
    ground-truth object is matched at most once (greedily, best J first).
    """
    t = len(frame_indices)
    for name, masks in (("proposal", proposals), ("ground truth", ground_truth)):
        for key, arr in masks.items():
            if arr.ndim != 3 or arr.shape[0] != t:
                raise ValueError(f"{name} {key}: masks must be [T={t}, H, W], got {arr.shape}")
    pairs = sorted(
        ((_match_j(pm, gm, best_frame=pid in drawn), pid, gid)
         for pid, pm in proposals.items() for gid, gm in ground_truth.items()),
        reverse=True,
    )
    matched: dict[int, int] = {}
    used: set[int] = set()
    for j, pid, gid in pairs:
        if j < config.match_j or pid in matched or gid in used:
            continue
        matched[pid] = gid
        used.add(gid)

    reviews = []
    for pid, pred in proposals.items():
        gid = matched.get(pid)
        if gid is None:
            reviews.append(OracleReview(pid, Verdict.ILL_DEFINED, None, 0.0, 0, 0))
            continue
        gt = ground_truth[gid]
        jf, per_j = object_jf(pred, gt)
        if jf >= config.accept_jf:
            reviews.append(OracleReview(pid, Verdict.SATISFACTORY, gid, jf, 0, 0))
            continue
        worst = [i for i in np.argsort(per_j) if per_j[i] < config.fix_frame_j][: config.max_frames_fixed]
        if not worst:  # J fine everywhere but boundaries poor: fix the single worst frame
            worst = [int(np.argmin(per_j))]
        efforts = {int(frame_indices[i]): correct(int(frame_indices[i]), pred[i], gt[i]) for i in worst}
        corrections = {f: e.mask for f, e in efforts.items()}
        reviews.append(OracleReview(pid, Verdict.UNSATISFACTORY, gid, jf, sum(e.edited for e in efforts.values()),
                                    sum(e.clicks for e in efforts.values()), corrections,
                                    drawn=sum(e.drawn for e in efforts.values())))

    manual = []
    for gid, gt in ground_truth.items():
        if gid in used:
            continue
        visible = np.flatnonzero(gt.reshape(t, -1).any(axis=1))
        if visible.size == 0:
            continue
        first = int(visible[0])
        effort = correct(int(frame_indices[first]), None, gt[first])
        manual.append(ManualDrawing(gid, int(frame_indices[first]), effort.mask, effort.clicks, effort.drawn))
    return reviews, manual
