"""Simulated prompts for training: clicks, boxes and corrective clicks derived from masks."""

from __future__ import annotations

import numpy as np
import torch


def sample_points(masks: torch.Tensor, rng: np.random.Generator, n_points: int = 1) -> dict[str, torch.Tensor]:
    """Positive clicks inside each mask.

    masks: bool [N, H, W] (each non-empty). Returns SAM 2 point inputs: point_coords float32
    [N, n_points, 2] as (x, y) pixels of the mask grid, point_labels int32 [N, n_points] (all 1).
    """
    coords = []
    for m in masks:
        ys, xs = torch.nonzero(m, as_tuple=True)
        pick = rng.integers(0, len(ys), n_points)
        coords.append(torch.stack([xs[pick], ys[pick]], dim=-1).float() + 0.5)
    return {
        "point_coords": torch.stack(coords),
        "point_labels": torch.ones(len(masks), n_points, dtype=torch.int32),
    }


def sample_boxes(masks: torch.Tensor, rng: np.random.Generator, jitter: float = 0.1) -> dict[str, torch.Tensor]:
    """Noisy bounding boxes of each mask as SAM 2 box-corner points (labels 2 and 3).

    masks: bool [N, H, W]. jitter: corner noise as a fraction of the box side.
    Returns point_coords float32 [N, 2, 2], point_labels int32 [N, 2].
    """
    h, w = masks.shape[-2:]
    boxes = []
    for m in masks:
        ys, xs = torch.nonzero(m, as_tuple=True)
        x0, x1 = xs.min().item(), xs.max().item() + 1
        y0, y1 = ys.min().item(), ys.max().item() + 1
        noise = rng.normal(0, jitter, 4) * [x1 - x0, y1 - y0, x1 - x0, y1 - y0]
        box = np.array([x0, y0, x1, y1], np.float32) + noise.astype(np.float32)
        box = np.clip(box, 0, [w, h, w, h])
        boxes.append(torch.from_numpy(box).view(2, 2))
    return {
        "point_coords": torch.stack(boxes),
        "point_labels": torch.tensor([[2, 3]] * len(masks), dtype=torch.int32),
    }


def corrective_points(
    pred: torch.Tensor, target: torch.Tensor, rng: np.random.Generator
) -> dict[str, torch.Tensor]:
    """One corrective click per object in its largest error type.

    pred, target: bool [N, H, W]. A click goes on a missed pixel (label 1) when false negatives
    outnumber false positives, else on a false-positive pixel (label 0); a perfect prediction
    gets a positive click inside the target (or a negative one anywhere if the target is empty).
    Returns point_coords float32 [N, 1, 2], point_labels int32 [N, 1].
    """
    coords, labels = [], []
    for p, t in zip(pred, target):
        fn, fp = t & ~p, p & ~t
        if fn.sum() >= fp.sum() and fn.any():
            region, label = fn, 1
        elif fp.any():
            region, label = fp, 0
        elif t.any():
            region, label = t, 1
        else:
            region, label = torch.ones_like(t), 0
        ys, xs = torch.nonzero(region, as_tuple=True)
        i = int(rng.integers(0, len(ys)))
        coords.append(torch.tensor([[xs[i].item() + 0.5, ys[i].item() + 0.5]]))
        labels.append(label)
    return {
        "point_coords": torch.stack(coords).float(),
        "point_labels": torch.tensor(labels, dtype=torch.int32).view(-1, 1),
    }
