"""A working copy of DAVIS sequences, subsampled and downscaled for a benchmark on a small machine.

Of each chosen sequence of a DAVIS root (``JPEGImages/480p/<seq>`` + ``Annotations/480p/<seq>``)
it keeps every ``stride``-th frame (0, stride, 2*stride, ...), at most ``max_frames`` of them (0:
all), resized to ``width`` px wide with the aspect ratio kept (0: native size; frames bilinear,
masks nearest-neighbour so object ids stay exact), and writes them renumbered ``00000.jpg ...``
/ ``00000.png ...`` in the same layout under ``out``, so :func:`storage.importers.davis_importer.
import_davis` imports the copy. Frames that need no resizing are copied byte for byte. Every
chosen sequence is checked (frames, one mask per frame) before anything is written.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flows.errors import InvalidInputError
from storage.importers.davis_folder import RESOLUTION


@dataclass(frozen=True)
class WorkCopyConfig:
    """stride: keep every stride-th frame; max_frames: cap per sequence (0: all); width in px (0: native)."""

    stride: int = 1
    max_frames: int = 0
    width: int = 0

    def __post_init__(self) -> None:
        if self.stride < 1 or self.max_frames < 0 or self.width < 0 or 0 < self.width < 32:
            raise InvalidInputError(f"bad working copy {self}: stride >= 1, max_frames >= 0 (0: all), "
                                    "width 0 (native) or >= 32 px")


@dataclass(frozen=True)
class WorkSequence:
    """One copied sequence: its name, frames kept (source frame numbers) and size in px."""

    name: str
    source_frames: tuple[int, ...]
    width: int
    height: int


def kept_frames(n_frames: int, cfg: WorkCopyConfig) -> list[int]:
    """Source frame numbers a sequence of ``n_frames`` frames keeps."""
    kept = list(range(0, n_frames, cfg.stride))
    return kept[:cfg.max_frames] if cfg.max_frames else kept


def check_sequence(root: Path, sequence: str) -> tuple[list[Path], list[Path]]:
    """(frame files, mask files) of a sequence, one mask per frame with the same names."""
    from storage.importers.davis_folder import frame_folder, mask_folder, sequence_files

    frames, masks = frame_folder(root, sequence), mask_folder(root, sequence)
    if not masks.is_dir():
        raise InvalidInputError(f"{root} has no ground truth for sequence {sequence}: no Annotations/{RESOLUTION}/"
                                f"{sequence} folder (the benchmark's oracle reviewer and validation need it)")
    return sequence_files(frames, masks, sequence)


def write_work_copy(root: Path, out: Path, sequences: list[str], cfg: WorkCopyConfig) -> list[WorkSequence]:
    """Write the working copy of ``sequences`` of DAVIS ``root`` under ``out`` (replaced if present)."""
    from PIL import Image

    from storage.masks.davis_png import read_davis_mask, write_davis_mask

    root, out = Path(root), Path(out)
    checked = {s: check_sequence(Path(root), s) for s in sequences}
    if out.exists():
        shutil.rmtree(out)
    copied = []
    for name, (frames, masks) in checked.items():
        img_dir = out / "JPEGImages" / RESOLUTION / name
        ann_dir = out / "Annotations" / RESOLUTION / name
        img_dir.mkdir(parents=True)
        ann_dir.mkdir(parents=True)
        keep = kept_frames(len(frames), cfg)
        size = (0, 0)
        for k, i in enumerate(keep):
            with Image.open(frames[i]) as image:
                src = image.convert("RGB")
            target = src.size if not cfg.width else (cfg.width, max(1, round(src.height * cfg.width / src.width)))
            ids = read_davis_mask(masks[i])
            if ids.shape != (src.height, src.width):
                raise InvalidInputError(f"sequence {name}: mask {masks[i].name} is {ids.shape[1]}x{ids.shape[0]}, "
                                        f"frames are {src.width}x{src.height}")
            if target == src.size:
                shutil.copyfile(frames[i], img_dir / f"{k:05d}{frames[i].suffix.lower()}")
            else:
                src.resize(target, Image.BILINEAR).save(img_dir / f"{k:05d}.jpg", quality=95)
                ids = np.asarray(Image.fromarray(ids).resize(target, Image.NEAREST))
            write_davis_mask(ann_dir / f"{k:05d}.png", ids)
            size = target
        copied.append(WorkSequence(name=name, source_frames=tuple(keep), width=size[0], height=size[1]))
    return copied
