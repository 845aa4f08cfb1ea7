"""The simulated reviewer (``--reviewer oracle``): answers from ground truth like a careful person.

Per proposal it finds the ground-truth object it tracks (best mean J over the proposal's frames);
no match -> ``ill_defined``; J&F at or above ``accept_jf`` -> ``satisfactory``; otherwise
``unsatisfactory`` with the worst frames corrected (the ground-truth mask of each frame whose J is
below ``fix_frame_j``, worst first, at most ``max_frames_fixed``), counting frames edited and clicks
(1 click per error region of at least ``min_error_area`` px, at most ``max_clicks_per_frame`` per
frame: a corrective click per missed or spurious region, as in the SAM 2 data engine).
Ground-truth objects no proposal tracks are drawn by hand on their first visible frame
(``manual_clicks`` clicks) and become manual masklets. A masklet the reviewer drew (``drawn``)
is matched by its best frame, the one drawn from the ground truth, however badly the model
propagated the rest: the reviewer knows which object it drew and corrects it rather than calling it
ill-defined. Effort is accounted exactly as for people.

Masks are bool arrays [T, H, W] over the same frame indices as the ground truth.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from model.metrics.vos import boundary_f, jaccard


@dataclass(frozen=True)
class OracleConfig:
    """Thresholds of the simulated reviewer (J, F, J&F in [0, 1]; areas in pixels)."""

    match_j: float = 0.2
    accept_jf: float = 0.75
    fix_frame_j: float = 0.7
    max_frames_fixed: int = 8
    min_error_area: int = 16
    max_clicks_per_frame: int = 5
    manual_clicks: int = 4


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


@dataclass(frozen=True)
class ManualDrawing:
    """A ground-truth object nobody proposed, drawn by hand on ``frame_index``."""

    gt_id: int
    frame_index: int
    mask: np.ndarray  # bool [H, W]
    clicks: int


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


def _clicks_for(pred: np.ndarray, gt: np.ndarray, config: OracleConfig) -> int:
    """Corrective clicks a person needs on one frame: one per sizeable error region."""
    labels, n = ndimage.label(pred ^ gt)
    if n == 0:
        return 1
    sizes = np.bincount(labels.ravel())[1:]
    regions = int((sizes >= config.min_error_area).sum())
    return int(min(config.max_clicks_per_frame, max(1, regions)))


def review_proposals(
    proposals: Mapping[int, np.ndarray],
    ground_truth: Mapping[int, np.ndarray],
    *,
    frame_indices: Sequence[int],
    config: OracleConfig = OracleConfig(),
    drawn: Collection[int] = (),
) -> tuple[list[OracleReview], list[ManualDrawing]]:
    """Review every proposal against the ground truth of one video.

    ``proposals``: proposal id -> bool [T, H, W]; ``ground_truth``: object id -> bool [T, H, W];
    both over ``frame_indices`` (length T); ``drawn``: ids of proposals the reviewer drew by hand
    (matched on their best frame). Each ground-truth object is matched at most once (greedily,
    best J first).
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
            reviews.append(OracleReview(pid, "ill_defined", None, 0.0, 0, 0))
            continue
        gt = ground_truth[gid]
        jf, per_j = object_jf(pred, gt)
        if jf >= config.accept_jf:
            reviews.append(OracleReview(pid, "satisfactory", gid, jf, 0, 0))
            continue
        worst = [i for i in np.argsort(per_j) if per_j[i] < config.fix_frame_j][: config.max_frames_fixed]
        if not worst:  # J fine everywhere but boundaries poor: fix the single worst frame
            worst = [int(np.argmin(per_j))]
        corrections = {int(frame_indices[i]): gt[i].copy() for i in worst}
        clicks = sum(_clicks_for(pred[i], gt[i], config) for i in worst)
        reviews.append(OracleReview(pid, "unsatisfactory", gid, jf, len(worst), clicks, corrections))

    manual = []
    for gid, gt in ground_truth.items():
        if gid in used:
            continue
        visible = np.flatnonzero(gt.reshape(t, -1).any(axis=1))
        if visible.size == 0:
            continue
        first = int(visible[0])
        manual.append(ManualDrawing(gid, int(frame_indices[first]), gt[first].copy(), config.manual_clicks))
    return reviews, manual
