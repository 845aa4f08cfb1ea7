"""The data engine's three phases on the same videos with the same simulated annotator (SAM 2,
arXiv 2408.00714, Table 1), at equal quality: every frame ends at IoU >= ``threshold`` with its
ground truth, by clicks on the model (:mod:`model.metrics.click_annotator`) or drawn by hand.

- phase 1: every frame of every object annotated on its own (clicks on that frame only);
- phase 2: the object clicked on its first frame, then mask propagation; the first wrong frame is
  corrected with clicks and everything after it re-propagated, until no frame is wrong;
- phase 3: the champion's automatic masklets; a ground-truth object matched by a proposal
  (IoU >= ``match_iou`` on its first frame) starts from the proposal's mask instead of clicks and
  is verified and corrected as in phase 2; unmatched objects are done as in phase 2 (manual
  masklets); each unmatched proposal costs one decision (rejected).

Counts are per object-frame (a masklet's frame): edited = clicked or drawn. Seconds come from the
annotator's :class:`~model.metrics.click_annotator.CostModel` (a decision per object-frame, plus
clicks and drawn frames). J&F is the final masklets' against ground truth (DAVIS measures).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from flows.cycle.click_corrections import click_segmenter, correct_in_session
from model.metrics.click_annotator import CostModel, FrameEffort, annotate_frame, mask_iou
from model.metrics.vos import score_object
from model.network.refs import LoadedModel
from model.session.open_session import open_session

Progress = Callable[[str], None]


@dataclass(frozen=True)
class PhaseConfig:
    """threshold / cap: the annotator's per-frame IoU target and click cap; match_iou: a
    proposal's first-frame IoU for it to count as the object; cost: seconds per action."""

    threshold: float = 0.85
    cap: int = 10
    match_iou: float = 0.5
    cost: CostModel = field(default_factory=CostModel)


@dataclass
class _Tally:
    object_frames: int = 0
    masklets: int = 0
    edited: int = 0
    clicks: int = 0
    clicked_frames: int = 0
    drawn: int = 0
    extra_decisions: int = 0
    scores: list[tuple[float, float]] = field(default_factory=list)

    def add(self, effort: FrameEffort) -> None:
        self.edited += int(effort.edited)
        self.clicks += effort.clicks
        self.clicked_frames += int(effort.clicks > 0)
        self.drawn += int(effort.drawn)


@dataclass(frozen=True)
class PhaseResult:
    """One phase's effort and quality over every object-frame of the videos."""

    phase: int
    object_frames: int
    masklets: int
    frames_edited: int
    clicks: int
    clicked_frames: int
    drawn_frames: int
    seconds: float
    J: float
    F: float

    def as_json(self) -> dict[str, object]:
        n = max(1, self.object_frames)
        return {"phase": self.phase, "frames_edited_pct": round(100 * self.frames_edited / n, 2),
                "clicks_per_masklet": round(self.clicks / max(1, self.masklets), 3),
                "clicks_per_clicked_frame": round(self.clicks / max(1, self.clicked_frames), 3),
                "seconds_per_frame": round(self.seconds / n, 3), "JF": round((self.J + self.F) / 2, 4),
                "J": round(self.J, 4), "F": round(self.F, 4), "object_frames": self.object_frames,
                "masklets": self.masklets, "frames_edited": self.frames_edited, "clicks": self.clicks,
                "clicked_frames": self.clicked_frames, "drawn_frames": self.drawn_frames,
                "seconds": round(self.seconds, 1)}


def _result(phase: int, t: _Tally, cost: CostModel) -> PhaseResult:
    seconds = cost.seconds(frames=t.object_frames + t.extra_decisions, clicks=t.clicks, drawn=t.drawn)
    js = [j for j, _ in t.scores] or [0.0]
    fs = [f for _, f in t.scores] or [0.0]
    return PhaseResult(phase=phase, object_frames=t.object_frames, masklets=t.masklets,
                       frames_edited=t.edited, clicks=t.clicks, clicked_frames=t.clicked_frames,
                       drawn_frames=t.drawn, seconds=seconds, J=float(np.mean(js)), F=float(np.mean(fs)))


def _score(tally: _Tally, obj: int, final: np.ndarray, gt: np.ndarray) -> None:
    s = score_object(obj, final, gt)
    tally.scores.append((s.J, s.F))


def _phase1_object(model: LoadedModel, frames: list[np.ndarray], gt: np.ndarray, cfg: PhaseConfig,
                   tally: _Tally) -> np.ndarray:
    session = open_session(model).init(frames)
    final = np.zeros_like(gt)
    for f in range(len(frames)):
        effort = annotate_frame(click_segmenter(session, f, f + 1), gt[f], threshold=cfg.threshold, cap=cfg.cap)
        tally.add(effort)
        final[f] = effort.mask
    return final


def _correct(session, f: int, obj: int, gt: np.ndarray, start: np.ndarray | None, cfg: PhaseConfig,
             tally: _Tally, final: np.ndarray) -> None:
    """Click frame ``f`` of ``obj`` from ``start`` to the threshold (a drawn frame becomes a mask
    prompt, so re-propagation starts from it); the result goes to ``final[f]``."""
    effort = correct_in_session(session, f, obj, gt[f], start, threshold=cfg.threshold, cap=cfg.cap)
    tally.add(effort)
    final[f] = effort.mask


def _tracked_object(model: LoadedModel, frames: list[np.ndarray], gt: np.ndarray, cfg: PhaseConfig,
                    tally: _Tally, start: np.ndarray | None) -> np.ndarray:
    """Phase 2 (``start`` None: clicks from nothing) or a verified proposal (``start``: its mask on
    the object's first frame): correct the first wrong frame, re-propagate, repeat."""
    present = np.flatnonzero(gt.reshape(len(gt), -1).any(1))
    final = np.zeros_like(gt)
    if len(present) == 0:
        return final
    first = int(present[0])
    session = open_session(model).init(frames)
    obj = 1
    if start is not None:
        session.add_prompt(first, obj, mask=start)
    _correct(session, first, obj, gt, start, cfg, tally, final)
    f = first
    while f + 1 < len(frames):
        wrong = None
        for t, _, logits, _ in session.propagate(start=f + 1):
            final[t] = logits[0, 0].numpy() > 0
            if mask_iou(final[t], gt[t]) < cfg.threshold:
                wrong = t
                break
        if wrong is None:
            break
        _correct(session, wrong, obj, gt, final[wrong], cfg, tally, final)
        f = wrong
    return final


def run_phases(model: LoadedModel, videos: list[tuple[str, list[np.ndarray], np.ndarray]], *,
               phases: tuple[int, ...] = (1, 2, 3), cfg: PhaseConfig | None = None,
               proposals: Callable[[list[np.ndarray]], list[np.ndarray]] | None = None,
               on_step: Progress | None = None) -> list[PhaseResult]:
    """Effort and quality of each phase on ``videos`` (name, frames uint8 [H, W, 3] each, ground
    truth id maps uint8 [T, H, W]).

    proposals: frames -> the champion's automatic masklets as bool [T, H, W] arrays (phase 3;
    default: :func:`model.automask.masklets.generate_masklets` with the network's own settings).
    """
    cfg = cfg or PhaseConfig()
    if proposals is None:
        proposals = automatic_proposals(model)
    out = []
    for phase in phases:
        tally = _Tally()
        for name, frames, ids in videos:
            objs = [int(o) for o in np.unique(ids) if o != 0]
            found = proposals(frames) if phase == 3 else []
            used: set[int] = set()
            for obj in objs:
                gt = ids == obj
                tally.object_frames += len(frames)
                tally.masklets += 1
                if on_step:
                    on_step(f"phase {phase}: {name} object {obj}")
                if phase == 1:
                    final = _phase1_object(model, frames, gt, cfg, tally)
                else:
                    start = _match(found, gt, used, cfg.match_iou) if phase == 3 else None
                    final = _tracked_object(model, frames, gt, cfg, tally, start)
                _score(tally, obj, final, gt)
            tally.extra_decisions += len(found) - len(used)  # rejected proposals: one look each
        out.append(_result(phase, tally, cfg.cost))
    return out


def _match(found: list[np.ndarray], gt: np.ndarray, used: set[int], min_iou: float) -> np.ndarray | None:
    """The unused proposal with the best IoU on the object's first frame (>= min_iou): its mask."""
    first = int(np.flatnonzero(gt.reshape(len(gt), -1).any(1))[0]) if gt.any() else 0
    best, best_iou = None, min_iou
    for i, masks in enumerate(found):
        if i in used:
            continue
        iou = mask_iou(masks[first], gt[first])
        if iou >= best_iou:
            best, best_iou = i, iou
    if best is None:
        return None
    used.add(best)
    return found[best][first]


def automatic_proposals(model: LoadedModel, gen=None) -> Callable[[list[np.ndarray]], list[np.ndarray]]:
    """frames -> the automatic masklets of ``model`` as bool [T, H, W] arrays (``gen``: an
    ``AutoMaskConfig``; default: the network's own settings)."""
    from model.automask.masklets import generate_masklets

    def propose(frames: list[np.ndarray]) -> list[np.ndarray]:
        h, w = frames[0].shape[:2]
        out = []
        for p in generate_masklets(model, frames, gen):
            masks = np.zeros((len(frames), h, w), bool)
            for i, t in enumerate(p.frame_indices):
                masks[t] = p.mask(i)
            out.append(masks)
        return out
    return propose
