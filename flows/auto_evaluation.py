"""Automatic-masklet evaluation (``maskloop eval --auto``): grid proposals on each first frame.

For every sequence of a dataset folder (the layouts :mod:`flows.evaluation` reads) the automatic
mask generator runs on frame 0 (with ``every_frame``, on every annotated frame, each its own row),
and each ground-truth object of that frame gets the best IoU of any proposal with it. recall_at_50 is the share of ground-truth objects (all sequences) with a
proposal at IoU >= 0.5 (``None`` when no first frame has an object); mean_proposals is per frame;
seconds_per_frame is the mean wall time of the generator call alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flows.errors import InvalidInputError

RECALL_IOU = 0.5


@dataclass(frozen=True)
class AutoSequenceResult:
    """Proposals found on one first frame; best_iou: ground-truth object id -> best IoU."""

    proposals: int
    best_iou: dict[int, float]
    seconds: float


@dataclass(frozen=True)
class AutoEvalReport:
    """Automatic-masklet scores over sequences: ``as_json()`` gives the documented JSON shape."""

    sequences: dict[str, AutoSequenceResult]

    @property
    def recall_at_50(self) -> float | None:
        return recall_at([r.best_iou for r in self.sequences.values()], RECALL_IOU)

    @property
    def mean_proposals(self) -> float:
        return float(np.mean([r.proposals for r in self.sequences.values()]))

    @property
    def seconds_per_frame(self) -> float:
        return float(np.mean([r.seconds for r in self.sequences.values()]))

    def as_json(self) -> dict[str, object]:
        rows = {name: {"proposals": r.proposals,
                       "best_iou": {str(obj): iou for obj, iou in r.best_iou.items()}}
                for name, r in self.sequences.items()}
        return {"auto": {"sequences": rows, "recall_at_50": self.recall_at_50,
                         "mean_proposals": self.mean_proposals,
                         "seconds_per_frame": self.seconds_per_frame}}


def best_ious(masks: np.ndarray, id_map: np.ndarray) -> dict[int, float]:
    """Object id -> highest IoU of any proposal with it (0.0 without proposals).

    masks: bool [M, H, W] proposals; id_map: int [H, W] ground-truth ids (0 = background).
    """
    masks = np.asarray(masks, dtype=bool)
    id_map = np.asarray(id_map)
    if masks.ndim != 3 or masks.shape[1:] != id_map.shape:
        raise InvalidInputError(
            f"proposals {masks.shape} do not match the ground truth {id_map.shape}; "
            "expected bool [M, H, W] and [H, W]"
        )
    flat = masks.reshape(len(masks), id_map.size)
    areas = flat.sum(axis=1)
    ids = id_map.reshape(-1)
    best: dict[int, float] = {}
    for obj in (int(v) for v in np.unique(ids) if v != 0):
        gt = ids == obj
        if not len(flat):
            best[obj] = 0.0
            continue
        inter = flat[:, gt].sum(axis=1)
        union = areas + int(gt.sum()) - inter
        best[obj] = float((inter / union).max())
    return best


def recall_at(per_frame: list[dict[int, float]], threshold: float = RECALL_IOU) -> float | None:
    """Share of ground-truth objects whose best IoU is >= threshold; None without objects."""
    values = [iou for best in per_frame for iou in best.values()]
    if not values:
        return None
    return sum(iou >= threshold for iou in values) / len(values)


def evaluate_auto(root: Path, *, model, sequences: list[str] | None = None, config=None,
                  every_frame: bool = False,
                  on_sequence: Callable[[str], None] | None = None) -> AutoEvalReport:
    """Run the automatic generator of the loaded ``model`` on frame 0 of each (named) sequence.

    config: an ``AutoMaskConfig`` (default: the generator's own); every_frame: score every frame
    of each sequence instead, each as its own row ``SEQUENCE@K`` (K the frame's position; frames
    without an object add no recall term); on_sequence(name) is called after each sequence
    (progress display).
    """
    from flows.evaluation import read_sequence, resolve_sequences
    from model.automask.config import AutoMaskConfig
    from model.automask.frame_masks import frame_masks

    wanted = resolve_sequences(root, sequences)
    cfg = config if config is not None else AutoMaskConfig.for_arch(model.arch.name)
    results: dict[str, AutoSequenceResult] = {}
    for name in wanted:
        frames, id_maps = read_sequence(root, name, first_only=not every_frame)
        for k, (frame, ids) in enumerate(zip(frames, id_maps)):
            start = time.perf_counter()
            found = frame_masks(model.network, frame, cfg, model.device)
            seconds = time.perf_counter() - start
            row = f"{name}@{k}" if every_frame else name
            results[row] = AutoSequenceResult(proposals=len(found.masks),
                                              best_iou=best_ious(found.masks, ids), seconds=seconds)
        if on_sequence is not None:
            on_sequence(name)
    return AutoEvalReport(sequences=results)
