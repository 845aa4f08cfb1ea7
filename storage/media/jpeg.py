"""JPEG encoding of frames: pixels only, never EXIF or any other metadata."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from storage.errors import InvalidInputError


def encode_jpeg(image: np.ndarray, quality: int = 95) -> bytes:
    """Encode an RGB frame (H x W x 3, uint8) as baseline JPEG bytes (no EXIF, no comments).

    Deterministic for a given Pillow/libjpeg build: the same pixels give the same bytes, which is
    what makes re-ingesting a video a no-op on the write-once store.
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        shape = getattr(image, "shape", None)
        dtype = getattr(image, "dtype", None)
        raise InvalidInputError(f"encode_jpeg expects an HxWx3 uint8 array, got shape {shape} dtype {dtype}")
    if not 1 <= quality <= 100:
        raise InvalidInputError(f"JPEG quality must be in 1..100, got {quality}")
    buffer = io.BytesIO()
    # a padded/strided view sends Pillow down a per-pixel slow path (30x slower): copy first
    Image.fromarray(np.ascontiguousarray(image), mode="RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def decode_jpeg(data: bytes) -> np.ndarray:
    """Decode JPEG (or any Pillow image) bytes to an RGB H x W x 3 uint8 array."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return np.asarray(img.convert("RGB"))
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"not a readable image ({len(data)} bytes): {exc}") from exc
