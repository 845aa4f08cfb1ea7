"""Folders of frames (one image file per frame) as videos.

Frame order: image files (jpg, jpeg, png, bmp, tif, tiff, webp; hidden files and other files are
ignored) sorted by name. When every name is a number (``00000.jpg``, ``12.png``) they are sorted
numerically and must be consecutive: a gap (``00001`` then ``00003``) is an InvalidInputError that
names the missing number, because silently closing the gap would shift every later frame and its
masks. All frames must have one size. The identity of the folder is the sha256 over the frame
files' bytes in order.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from storage.errors import InvalidInputError, NotFoundError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def list_frame_files(
    folder: Path, *, suffixes: tuple[str, ...] = IMAGE_SUFFIXES, what: str | None = None,
    consecutive: bool = True,
) -> list[Path]:
    """The frame files of ``folder`` in frame order (see module doc); InvalidInputError if none.

    ``what`` names the folder in error messages (default ``frame folder <name>``);
    ``consecutive=False`` accepts gaps in the numbering (a sparsely annotated clip).
    """
    folder = Path(folder)
    what = what or f"frame folder {folder.name}"
    if not folder.is_dir():
        raise NotFoundError(f"no such folder: {folder}")
    files = [
        p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in suffixes
    ]
    if not files:
        raise InvalidInputError(f"no images ({', '.join(suffixes)}) in {what}")
    if all(p.stem.isdigit() for p in files):
        files.sort(key=lambda p: (int(p.stem), p.name))
        numbers = [int(p.stem) for p in files]
        if len(set(numbers)) != len(numbers):
            raise InvalidInputError(f"{what} has two images with the same number")
        for before, after in itertools.pairwise(files if consecutive else []):
            if int(after.stem) != int(before.stem) + 1:
                raise InvalidInputError(
                    f"{what} has a gap in numbering: {before.name} is followed by "
                    f"{after.name}; renumber the frames consecutively or add the missing ones"
                )
    else:
        files.sort(key=lambda p: p.name)
    return files


def read_frame(path: Path) -> np.ndarray:
    """One frame file as an RGB H x W x 3 uint8 array (only the pixels; metadata is dropped)."""
    try:
        with Image.open(path) as img:
            return np.asarray(img.convert("RGB"))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InvalidInputError(f"not a readable image: {Path(path).name}") from exc


def frame_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image file in pixels, read from its header."""
    try:
        with Image.open(path) as img:
            return int(img.width), int(img.height)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InvalidInputError(f"not a readable image: {Path(path).name}") from exc


def check_same_size(files: list[Path], *, what: str) -> tuple[int, int]:
    """(width, height) shared by every file; InvalidInputError naming the first that differs."""
    width, height = frame_size(files[0])
    for path in files[1:]:
        size = frame_size(path)
        if size != (width, height):
            raise InvalidInputError(
                f"{what}: {path.name} is {size[0]}x{size[1]} but {files[0].name} is {width}x{height}"
            )
    return width, height
