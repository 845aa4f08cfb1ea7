"""A hand-drawn object mask from a PNG file: bool [H, W], True where the object is.

Rule: with an alpha channel that is not fully opaque (RGBA, LA, a palette PNG with transparency),
the object is every pixel whose alpha is nonzero; otherwise (grayscale, RGB, palette, 1-bit, or an
alpha that is opaque everywhere) it is every pixel with a nonzero value in any channel (for a
palette PNG: whose color is not black). Only PNG files are read: a lossy format (JPEG) turns the
background's compression noise into object pixels. A missing file is NotFoundError; a corrupt
file, a non-image or another image format is InvalidInputError, one line naming the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from storage.errors import InvalidInputError, NotFoundError

ALPHA_MODES = ("RGBA", "LA", "PA", "La", "RGBa")


def read_drawn_mask(path: Path | str) -> np.ndarray:
    """The object of the mask PNG at ``path`` (module rule): bool [H, W]."""
    path = Path(path)
    if not path.exists():
        raise NotFoundError(f"mask file {path} not found")
    if not path.is_file():
        raise InvalidInputError(f"mask file {path} is not a file; give a PNG image")
    try:
        with Image.open(path) as img:
            if img.format != "PNG":
                raise InvalidInputError(f"mask file {path.name} is a {img.format or 'non-PNG'} image; save the mask as PNG")
            img.load()
            return _object_of(img)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInputError(f"mask file {path.name} is not a readable PNG image") from exc


def _object_of(img: Image.Image) -> np.ndarray:
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ALPHA_MODES:
        alpha = np.asarray(img.getchannel("A"))
        if (alpha < 255).any():
            return alpha > 0
        img = img.convert("RGB" if img.mode.startswith(("RGB", "P")) else "L")
    values = np.asarray(img)
    return values.any(axis=-1) if values.ndim == 3 else values != 0
