"""Per-frame confidence of a tracked mask: what a reviewer sees as the frame's score.

raw = presence probability (sigmoid of the object-score head) x the decoder's predicted IoU; the
calibrated confidence maps raw through a monotone piecewise-linear map fitted on video the network
never trained on (``bench/calibrate_scores.py --fit``), so that frames scored 0.6 have a measured
IoU near 0.6 with ground truth. A network without a fitted map (or without an IoU estimate: pass
1.0) gets raw.
"""

from __future__ import annotations

import itertools

import numpy as np

#: arch name -> knots (raw confidence, measured IoU), raw ascending, measured non-decreasing.
#: lite0 (builtin:default): fitted on DAVIS-2016 *val*, 851 tracked frames, because on train, which
#: the network learned, raw is already calibrated (ECE 0.014) and the over-confidence on unseen
#: video (raw ECE 0.120 on val) cannot be measured there. The map only rescales scores (no mask and
#: no J&F changes); its honest error is cross-fitted: each third of the val sequences calibrated by
#: the map fitted on the other two, ECE 0.023 (bench/calibrate_scores.py --fit --cross-fit 3).
CALIBRATION: dict[str, tuple[tuple[float, float], ...]] = {
    "lite0": ((0.0, 0.0), (0.646, 0.493), (0.768, 0.635), (0.864, 0.726), (0.922, 0.846), (1.0, 0.924)),
}


def raw_confidence(presence: np.ndarray | float, predicted_iou: np.ndarray | float) -> np.ndarray:
    """presence probability (0..1) x predicted IoU (0..1), elementwise."""
    return np.clip(np.asarray(presence, np.float64), 0, 1) * np.clip(np.asarray(predicted_iou, np.float64), 0, 1)


def calibrated_confidence(presence: np.ndarray | float, predicted_iou: np.ndarray | float, *,
                          arch: str) -> np.ndarray:
    """The raw confidence through ``arch``'s fitted map (raw where there is none), in 0..1."""
    raw = raw_confidence(presence, predicted_iou)
    knots = CALIBRATION.get(arch)
    return apply_calibration(raw, knots) if knots else raw


def apply_calibration(raw: np.ndarray | float, knots: list[tuple[float, float]] | tuple[tuple[float, float], ...]
                      ) -> np.ndarray:
    """``raw`` (0..1) through the piecewise-linear map of ``knots`` (as :func:`fit_calibration` gives)."""
    xs, ys = (np.array(k, np.float64) for k in zip(*knots))
    return np.interp(np.asarray(raw, np.float64), xs, ys)


def fit_calibration(raw: np.ndarray, measured: np.ndarray, *, bins: int = 10,
                    min_frames: int = 20) -> list[tuple[float, float]]:
    """Knots (mean raw, mean measured IoU) of the bins of ``raw`` holding >= ``min_frames`` frames,
    made non-decreasing by pooling adjacent violators, with (0, 0) first and, last, raw 1.0 at the
    last bin's measured IoU plus its distance to 1 (the last bin's offset kept, so the map still
    ranks the most confident frames instead of flattening them into one score)."""
    raw, measured = np.asarray(raw, np.float64), np.asarray(measured, np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    points: list[list[float]] = []  # [sum raw, sum measured, n]
    for lo, hi in itertools.pairwise(edges):
        inside = (raw >= lo) & ((raw < hi) | (hi == 1.0))
        if inside.sum() >= min_frames:
            points.append([float(raw[inside].sum()), float(measured[inside].sum()), float(inside.sum())])
    pooled: list[list[float]] = []
    for p in points:
        pooled.append(p)
        while len(pooled) > 1 and pooled[-2][1] / pooled[-2][2] > pooled[-1][1] / pooled[-1][2]:
            last = pooled.pop()
            pooled[-1] = [a + b for a, b in zip(pooled[-1], last)]
    knots = [(s / n, m / n) for s, m, n in pooled]
    if not knots:
        return [(0.0, 0.0), (1.0, 1.0)]
    last_x, last_y = knots[-1]
    return [(0.0, 0.0), *knots, (1.0, min(1.0, last_y + (1.0 - last_x)))]
