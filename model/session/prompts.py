"""Prompt validation and conversion to SAM 2's model inputs (video pixels -> model pixels)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from model.errors import InvalidInputError


def point_inputs(
    points: object, labels: object, box: object, *, height: int, width: int, image_size: int
) -> dict[str, torch.Tensor]:
    """Clicks and/or a box in video pixels -> {point_coords float32 [1,P,2], point_labels int32 [1,P]}.

    points: [P, 2] (x, y); labels: [P] with 1 = positive, 0 = negative; box: [x0, y0, x1, y1]
    (encoded as two corner points with labels 2 and 3 ahead of the clicks, as SAM 2 does).
    """
    coords = np.zeros((0, 2), np.float32)
    labs = np.zeros((0,), np.int32)
    if (points is None) != (labels is None):
        raise InvalidInputError("points and labels go together; pass both (labels: 1 positive, 0 negative)")
    if points is not None:
        coords = np.asarray(points, dtype=np.float32).reshape(-1, 2) if np.size(points) else coords
        labs = np.asarray(labels, dtype=np.int64).reshape(-1)
        if np.asarray(points).ndim != 2 or np.asarray(points).shape[-1] != 2:
            raise InvalidInputError(f"points must be [P, 2] (x, y), got shape {np.shape(points)}")
        if labs.shape[0] != coords.shape[0]:
            raise InvalidInputError(f"{coords.shape[0]} points but {labs.shape[0]} labels; give one label per point")
        if not np.isin(labs, (0, 1)).all():
            raise InvalidInputError("labels must be 1 (positive) or 0 (negative)")
        labs = labs.astype(np.int32)
    if box is not None:
        b = np.asarray(box, dtype=np.float32).reshape(-1)
        if b.shape != (4,) or not (b[2] > b[0] and b[3] > b[1]):
            raise InvalidInputError(f"box must be [x0, y0, x1, y1] with x1 > x0 and y1 > y0, got {box!r}")
        coords = np.concatenate([b.reshape(2, 2), coords], axis=0)
        labs = np.concatenate([np.array([2, 3], np.int32), labs])
    if coords.shape[0] == 0:
        raise InvalidInputError("a prompt needs at least one point, a box or a mask")
    if not np.isfinite(coords).all():
        raise InvalidInputError("prompt coordinates must be finite numbers")
    scaled = torch.from_numpy(coords) / torch.tensor([width, height], dtype=torch.float32) * image_size
    return {"point_coords": scaled[None], "point_labels": torch.from_numpy(labs)[None]}


def check_mask(mask: object, *, height: int, width: int, allow_empty: bool = False) -> np.ndarray:
    """A prompt mask: bool (or 0/1) [H, W] of the video's size -> bool [H, W].

    allow_empty: for an object that already has a prompt, an empty mask says it is not on that
    frame (a reviewer erased it), as SAM 2 takes it; an object's first prompt must show it.
    """
    m = np.asarray(mask)
    if m.shape != (height, width):
        raise InvalidInputError(f"mask is {m.shape} but frames are {(height, width)}; give a [H, W] mask")
    if m.dtype != np.bool_:
        if not np.isin(np.unique(m), (0, 1)).all():
            raise InvalidInputError("mask must be boolean (or 0/1); threshold it first")
        m = m.astype(bool)
    if not allow_empty and not m.any():
        raise InvalidInputError("mask is empty; draw the object or prompt with points instead")
    return m


def mask_input(mask: object, *, height: int, width: int, image_size: int,
               allow_empty: bool = False) -> torch.Tensor:
    """bool [H, W] mask at video resolution -> float32 [1, 1, S, S] binary (as SAM 2 resizes it);
    allow_empty as for :func:`check_mask`."""
    m = check_mask(mask, height=height, width=width, allow_empty=allow_empty)
    t = torch.from_numpy(m)[None, None].float()
    if t.shape[-2:] != (image_size, image_size):
        t = F.interpolate(t, size=(image_size, image_size), mode="bilinear", align_corners=False, antialias=True)
        t = (t >= 0.5).float()
    return t
