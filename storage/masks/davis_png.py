"""DAVIS mask PNGs: read object-id maps (palette or 0/255), write palette PNGs.

A DAVIS annotation is one PNG per frame whose pixel values are object ids (0 = background):
- palette ("P") PNGs: the palette index is the object id (DAVIS 2017, several objects);
- grayscale 0/255 PNGs (DAVIS 2016, one object): 255 -> object 1;
- grayscale PNGs with other values: the value is the object id;
- RGB(A) PNGs whose channels are equal are read as grayscale; colored RGB masks are rejected
  (convert them to palette PNGs first).
Written PNGs use the DAVIS (PASCAL VOC) palette, so they open in every DAVIS tool.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from storage.errors import InvalidInputError


def davis_palette() -> list[int]:
    """The 256-color DAVIS / PASCAL VOC palette as a flat [r, g, b, ...] list of 768 ints."""
    palette: list[int] = []
    for index in range(256):
        r = g = b = 0
        c = index
        for shift in range(7, -1, -1):
            r |= (c & 1) << shift
            g |= ((c >> 1) & 1) << shift
            b |= ((c >> 2) & 1) << shift
            c >>= 3
        palette.extend((r, g, b))
    return palette


def read_davis_mask(path: Path) -> np.ndarray:
    """Object-id map of a DAVIS PNG: H x W uint8, 0 = background, 1..255 = object ids."""
    path = Path(path)
    try:
        with Image.open(path) as img:
            mode = img.mode
            if mode == "P":
                ids = np.asarray(img, dtype=np.uint8).copy()
                return ids
            if mode in ("RGB", "RGBA"):
                rgb = np.asarray(img.convert("RGB"))
                if not ((rgb[..., 0] == rgb[..., 1]) & (rgb[..., 1] == rgb[..., 2])).all():
                    raise InvalidInputError(
                        f"mask {path.name} is a colored RGB image; save it as a palette (P) PNG"
                    )
                gray = rgb[..., 0].copy()
            elif mode in ("L", "1", "I", "I;16"):
                gray = np.asarray(img.convert("L"), dtype=np.uint8).copy()
            else:
                raise InvalidInputError(f"mask {path.name} has unsupported image mode {mode}")
    except (UnidentifiedImageError, OSError) as exc:
        raise InvalidInputError(f"not a readable mask PNG: {path.name}") from exc
    values = np.unique(gray)
    if set(values.tolist()) <= {0, 255}:
        return (gray == 255).astype(np.uint8)
    return gray


def write_davis_mask(path: Path, ids: np.ndarray) -> None:
    """Write an H x W uint8 object-id map as a DAVIS palette PNG."""
    if not isinstance(ids, np.ndarray) or ids.ndim != 2:
        raise InvalidInputError(f"a DAVIS mask is an HxW array, got shape {getattr(ids, 'shape', None)}")
    if ids.dtype != np.uint8:
        if ids.size and (ids.min() < 0 or ids.max() > 255):
            raise InvalidInputError("DAVIS object ids must be in 0..255")
        ids = ids.astype(np.uint8)
    img = Image.fromarray(ids, mode="P")
    img.putpalette(davis_palette())
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format="PNG")


def object_ids(id_maps: list[np.ndarray]) -> list[int]:
    """Sorted object ids (> 0) present in any of the maps."""
    present: set[int] = set()
    for ids in id_maps:
        present.update(int(v) for v in np.unique(ids))
    present.discard(0)
    return sorted(present)
