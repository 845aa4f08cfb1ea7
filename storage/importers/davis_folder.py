"""The DAVIS folder layout, read in one place: import, evaluation and the engine benchmark use it.

    ROOT/JPEGImages/480p/<sequence>/00000.jpg ...   frames (jpg or png)
    ROOT/Annotations/480p/<sequence>/00000.png ...  object-id maps, one per frame, same names

Masks are palette or 0/255 PNGs (:mod:`storage.masks.davis_png`), 0 background, 1..255 objects.
A folder holding ``frames/`` and ``masks/`` (e.g. the CholecInstanceSeg sample clip) is read the
same way as one sequence named after the folder. Every check raises one
:class:`~storage.errors.InvalidInputError` (or NotFoundError) that names the sequence and the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from storage.errors import InvalidInputError, NotFoundError
from storage.masks.davis_png import read_davis_mask
from storage.media.frame_folder import list_frame_files

RESOLUTION = "480p"
FRAME_SUFFIXES = (".jpg", ".jpeg", ".png")
FLAT_FRAMES, FLAT_MASKS = "frames", "masks"


def is_davis_root(root: Path) -> bool:
    """Whether ``root`` has the ``JPEGImages/480p`` folder of a DAVIS root."""
    return (Path(root) / "JPEGImages" / RESOLUTION).is_dir()


def is_flat_sequence(root: Path) -> bool:
    """Whether ``root`` is one sequence as ``frames/`` + ``masks/``."""
    return (Path(root) / FLAT_FRAMES).is_dir() and (Path(root) / FLAT_MASKS).is_dir()


def davis_sequences(root: Path) -> list[str]:
    """Sequence names under ``ROOT/JPEGImages/480p``, sorted; InvalidInputError if not DAVIS."""
    images = Path(root) / "JPEGImages" / RESOLUTION
    if not Path(root).is_dir():
        raise NotFoundError(f"no such folder: {root}")
    if not images.is_dir():
        raise InvalidInputError(f"{root} is not a DAVIS root: it has no JPEGImages/{RESOLUTION} folder")
    names = sorted(p.name for p in images.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not names:
        raise InvalidInputError(f"{root} has no sequences under JPEGImages/{RESOLUTION}")
    return names


def frame_folder(root: Path, sequence: str) -> Path:
    """``ROOT/JPEGImages/480p/<sequence>``; NotFoundError if it is not there."""
    folder = Path(root) / "JPEGImages" / RESOLUTION / sequence
    if not folder.is_dir():
        raise NotFoundError(f"sequence {sequence} not found under {root}/JPEGImages/{RESOLUTION}")
    return folder


def mask_folder(root: Path, sequence: str) -> Path:
    """``ROOT/Annotations/480p/<sequence>`` (it may not exist: a DAVIS root without ground truth)."""
    return Path(root) / "Annotations" / RESOLUTION / sequence


def sequence_files(frame_dir: Path, mask_dir: Path, sequence: str, *,
                   consecutive: bool = True) -> tuple[list[Path], list[Path]]:
    """(frame files, mask files) of one sequence in frame order, a mask for every frame.

    consecutive: numbered frames must have no gap (an imported video's frames are all of them);
    False for sparsely annotated clips (``000000.png, 000030.png ...``), evaluated as they are.
    """
    if not frame_dir.is_dir():
        raise NotFoundError(f"sequence {sequence} has no frame folder {frame_dir}")
    if not mask_dir.is_dir():
        raise InvalidInputError(f"sequence {sequence} has no Annotations/{RESOLUTION}/{sequence} folder")
    frames = _images(frame_dir, FRAME_SUFFIXES, f"sequence {sequence} has no frames (*.jpg, *.png) in {frame_dir}",
                     what=f"frame folder {frame_dir.name}", consecutive=consecutive)
    masks = _images(mask_dir, (".png",), f"sequence {sequence} has no masks (*.png) in {mask_dir}",
                    what=f"mask folder {'/'.join(mask_dir.parts[-3:])}", consecutive=consecutive)
    frame_stems, mask_stems = [p.stem for p in frames], [p.stem for p in masks]
    if frame_stems != mask_stems:
        unmatched = sorted(set(frame_stems) - set(mask_stems))[:3] or sorted(set(mask_stems) - set(frame_stems))[:3]
        raise InvalidInputError(
            f"sequence {sequence}: {len(frames)} frames but {len(masks)} masks (unmatched: {', '.join(unmatched)})"
            if unmatched else f"sequence {sequence}: frames and masks are not in the same order"
        )
    return frames, masks


def _images(folder: Path, suffixes: tuple[str, ...], empty: str, *, what: str, consecutive: bool) -> list[Path]:
    if not any(p.is_file() and p.suffix.lower() in suffixes and not p.name.startswith(".") for p in folder.iterdir()):
        raise InvalidInputError(empty)
    return list_frame_files(folder, suffixes=suffixes, what=what, consecutive=consecutive)


def read_id_maps(sequence: str, masks: list[Path], *, height: int, width: int) -> list[np.ndarray]:
    """The object-id maps (uint8 [H, W]) of ``masks``, each checked to be ``height x width``."""
    id_maps = []
    for mask in masks:
        ids = read_davis_mask(mask)
        if ids.shape != (height, width):
            raise InvalidInputError(
                f"sequence {sequence}: mask {mask.name} is {ids.shape[1]}x{ids.shape[0]}, frames are {width}x{height}"
            )
        id_maps.append(ids)
    return id_maps
