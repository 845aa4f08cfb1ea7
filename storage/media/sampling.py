"""Sampling math: which source frames are kept when a video is sampled down to a target rate.

Exact rational arithmetic (``fractions.Fraction``), so 24 fps -> 6 fps keeps exactly every 4th
frame (0, 4, 8, ...) and 25 fps -> 6 fps keeps 0, 5, 9, 13, 17, 21, 25, ... with no float drift
over hours of video. Stored frame ``k`` is source frame ``ceil(k * source_fps / target_fps)``:
the first source frame at or after time ``k / target_fps``. A target rate at or above the source
rate keeps every frame. Frames are counted in presentation order from 0 (frame-number based; a
variable-frame-rate file is treated at its average rate).
"""

from __future__ import annotations

import math
from fractions import Fraction

from storage.errors import InvalidInputError


def as_fraction(rate: float | Fraction) -> Fraction:
    """A frame rate as an exact fraction (floats like 29.97 are snapped to denominators <= 1001)."""
    if isinstance(rate, Fraction):
        return rate
    if not math.isfinite(rate) or rate <= 0:
        raise InvalidInputError(f"frame rate must be a positive number, got {rate}")
    return Fraction(rate).limit_denominator(1001)


def effective_fps(source_fps: float | Fraction, target_fps: float | Fraction) -> Fraction:
    """The rate actually kept: ``min(target, source)``."""
    return min(as_fraction(source_fps), as_fraction(target_fps))


def sampling_stride(source_fps: float | Fraction, target_fps: float | Fraction) -> Fraction:
    """Source frames per stored frame (>= 1)."""
    return as_fraction(source_fps) / effective_fps(source_fps, target_fps)


def sampled_source_indices(
    n_source: int, source_fps: float | Fraction, target_fps: float | Fraction
) -> list[int]:
    """Source frame numbers kept, in order (stored frame k is ``result[k]``)."""
    if n_source < 0:
        raise InvalidInputError(f"frame count must be >= 0, got {n_source}")
    stride = sampling_stride(source_fps, target_fps)
    indices: list[int] = []
    k = 0
    while (index := math.ceil(k * stride)) < n_source:
        indices.append(index)
        k += 1
    return indices
