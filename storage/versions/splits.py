"""Deterministic train/val/test split of a video from its sha256.

``u = int(sha256[:16], 16) / 2**64`` in [0, 1); ``u < train`` -> train, ``u < train + val`` -> val,
else test. The catalog stores the split the first time a video enters a version (table
``video_split``), so a video never moves between splits even if later commits use other fractions.
"""

from __future__ import annotations

import math

from storage.errors import InvalidInputError

DEFAULT_FRACTIONS: tuple[float, float, float] = (0.8, 0.1, 0.1)


def check_fractions(fractions: tuple[float, float, float]) -> tuple[float, float, float]:
    """Validate (train, val, test) fractions: three non-negative numbers summing to 1."""
    if len(fractions) != 3 or any(not math.isfinite(f) or f < 0 for f in fractions):
        raise InvalidInputError(f"split fractions {fractions!r}: give three non-negative numbers train,val,test")
    if abs(sum(fractions) - 1.0) > 1e-6:
        raise InvalidInputError(f"split fractions {fractions!r} must sum to 1 (e.g. 0.8,0.1,0.1)")
    return (float(fractions[0]), float(fractions[1]), float(fractions[2]))


def split_for(video_sha256: str, fractions: tuple[float, float, float] = DEFAULT_FRACTIONS) -> str:
    """``"train"``, ``"val"`` or ``"test"`` for a video (same sha256 and fractions -> same split)."""
    train, val, _test = check_fractions(fractions)
    u = int(video_sha256[:16], 16) / 2**64
    if u < train:
        return "train"
    if u < train + val:
        return "val"
    return "test"
