"""Semi-supervised VOS evaluation on a dataset folder (``maskloop eval``).

Two layouts are read (detected from the folder):
- DAVIS: ``ROOT/JPEGImages/480p/<seq>/*.jpg|png`` and ``ROOT/Annotations/480p/<seq>/*.png``;
- flat, one sequence named after ROOT: ``ROOT/frames/*.jpg|png`` and ``ROOT/masks/*.png``
  (e.g. the CholecInstanceSeg sample clip).
Masks are DAVIS PNGs (palette or 0/255, see :mod:`storage.masks.davis_png`), read with PIL into
arrays. :func:`evaluate_davis` runs :func:`model.metrics.semi_supervised.evaluate_sequence` per
sequence (model and copy-first-mask baseline); the CLI formats the result as a table or JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flows.errors import InvalidInputError, NotFoundError

RESOLUTION = "480p"
FRAME_SUFFIXES = (".jpg", ".jpeg", ".png")
FLAT_FRAMES, FLAT_MASKS = "frames", "masks"


@dataclass(frozen=True)
class EvalReport:
    """Evaluation of one model over sequences: ``as_json()`` gives the documented JSON shape."""

    model: str
    sequences: dict[str, dict[str, float]]
    mean: dict[str, float]
    baseline_mean: dict[str, float]

    def as_json(self) -> dict[str, object]:
        return {"model": self.model, "mean": self.mean, "baseline": {"mean": self.baseline_mean},
                "sequences": self.sequences}


@dataclass(frozen=True)
class ObjectSplit:
    """From frame ``frame`` (a file stem, e.g. ``000240``) on, id ``obj`` is a new object."""

    obj: int
    frame: str

    @classmethod
    def parse(cls, text: str) -> ObjectSplit:
        """``ID@FRAME``, e.g. ``2@000240``."""
        obj, sep, frame = text.strip().partition("@")
        if not sep or not obj.strip().isdigit() or not frame.strip() or not 0 < int(obj) < 256:
            raise InvalidInputError(f"bad object split {text!r}; write ID@FRAME, e.g. 2@000240")
        return cls(int(obj), frame.strip())


def dataset_layout(root: Path) -> str:
    """``"davis"`` or ``"flat"`` (see the module docstring)."""
    root = Path(root)
    if not root.is_dir():
        raise NotFoundError(f"no such folder: {root}; pass the dataset root with --data")
    if (root / "JPEGImages" / RESOLUTION).is_dir():
        return "davis"
    if (root / FLAT_FRAMES).is_dir() and (root / FLAT_MASKS).is_dir():
        return "flat"
    raise InvalidInputError(
        f"{root} is not a dataset: expected a DAVIS root (JPEGImages/{RESOLUTION}, "
        f"Annotations/{RESOLUTION}) or a folder with {FLAT_FRAMES}/ and {FLAT_MASKS}/"
    )


def list_sequences(root: Path) -> list[str]:
    """Sequence names of the dataset (sorted; a flat folder is one sequence named after it)."""
    if dataset_layout(root) == "flat":
        return [Path(root).resolve().name]
    images = Path(root) / "JPEGImages" / RESOLUTION
    return sorted(p.name for p in images.iterdir() if p.is_dir() and not p.name.startswith("."))


def _sequence_dirs(root: Path, name: str) -> tuple[Path, Path]:
    root = Path(root)
    if dataset_layout(root) == "flat":
        if name != root.resolve().name:
            raise NotFoundError(
                f"sequence {name} not found: {root} holds one sequence, {root.resolve().name}"
            )
        return root / FLAT_FRAMES, root / FLAT_MASKS
    frame_dir = root / "JPEGImages" / RESOLUTION / name
    mask_dir = root / "Annotations" / RESOLUTION / name
    if not frame_dir.is_dir():
        raise NotFoundError(f"sequence {name} not found under {root}/JPEGImages/{RESOLUTION}")
    if not mask_dir.is_dir():
        raise InvalidInputError(f"sequence {name} has no Annotations/{RESOLUTION}/{name} folder")
    return frame_dir, mask_dir


def read_sequence(root: Path, name: str, *, first_only: bool = False,
                  splits: list[ObjectSplit] | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """Frames (uint8 [H, W, 3] each) and ground-truth id maps (uint8 [T, H, W]) of one sequence.

    first_only: read frame 0 and its mask only (T = 1). splits: ids that become a new object
    (the sequence's highest id + 1) from a named frame on, applied in order.
    """
    from PIL import Image

    from storage.masks.davis_png import read_davis_mask

    frame_dir, mask_dir = _sequence_dirs(root, name)
    frame_files = sorted(p for p in frame_dir.iterdir() if p.suffix.lower() in FRAME_SUFFIXES)
    if not frame_files:
        raise InvalidInputError(f"sequence {name} has no frames (*.jpg, *.png) in {frame_dir}")
    masks_by_stem = {p.stem: p for p in mask_dir.iterdir() if p.suffix.lower() == ".png"}
    missing = [p.name for p in frame_files if p.stem not in masks_by_stem]
    if missing:
        raise InvalidInputError(
            f"sequence {name}: frames without a mask PNG: {', '.join(missing[:3])}"
        )
    stems = [p.stem for p in frame_files]
    if first_only:
        frame_files = frame_files[:1]
    frames = [np.asarray(Image.open(p).convert("RGB")) for p in frame_files]
    id_maps = np.stack([read_davis_mask(masks_by_stem[p.stem]) for p in frame_files])
    if id_maps.shape[1:] != frames[0].shape[:2]:
        raise InvalidInputError(
            f"sequence {name}: masks are {id_maps.shape[1:]} but frames {frames[0].shape[:2]}"
        )
    for split in splits or []:
        if split.frame not in stems:
            raise InvalidInputError(
                f"sequence {name} has no frame {split.frame} to split object {split.obj} at"
            )
        id_maps = split_object(id_maps, split.obj, stems.index(split.frame), name)
    return frames, id_maps


def split_object(id_maps: np.ndarray, obj: int, start: int, name: str = "") -> np.ndarray:
    """Id maps where ``obj`` on frames >= start (>= 1) is a new object (highest id + 1).

    A ``start`` past the given frames (``first_only`` reads) changes nothing.
    """
    if start < 1:
        raise InvalidInputError(f"sequence {name}: split an object at a frame after the first")
    if start >= len(id_maps):
        return id_maps
    later = id_maps[start:] == obj
    if not later.any():
        raise InvalidInputError(
            f"sequence {name}: object {obj} is not on frame {start} or later; nothing to split"
        )
    new_id = int(id_maps.max()) + 1
    if new_id > 255:
        raise InvalidInputError(f"sequence {name}: no free object id to split object {obj} into")
    out = id_maps.copy()
    out[start:][later] = new_id
    return out


def resolve_sequences(root: Path, sequences: list[str] | None) -> list[str]:
    """The named sequences (all when None), checked to exist under ROOT."""
    available = list_sequences(root)
    wanted = sequences or available
    unknown = [s for s in wanted if s not in available]
    if unknown:
        raise NotFoundError(
            f"sequences not in {root}: {', '.join(unknown)}; available: {', '.join(available[:10])}"
        )
    if not wanted:
        raise InvalidInputError(f"{root} holds no sequences")
    return wanted


def evaluate_davis(root: Path, *, model_ref: str, device: str = "auto",
                   sequences: list[str] | None = None,
                   on_sequence: Callable[[str, int], Callable[[int], None] | None] | None = None,
                   model: object | None = None,
                   splits: list[ObjectSplit] | None = None) -> EvalReport:
    """Evaluate ``model_ref`` (or the loaded ``model``) on the (named) sequences of a dataset.

    on_sequence(name, n_frames) may return a per-frame callback (progress display); splits: see
    :func:`read_sequence`.
    """
    from model.metrics.semi_supervised import evaluate_sequence
    from model.metrics.vos import mean_scores
    from model.network.refs import load_model

    wanted = resolve_sequences(root, sequences)
    if model is None:
        model = load_model(model_ref, device=device)
    results = []
    rows: dict[str, dict[str, float]] = {}
    for name in wanted:
        frames, id_maps = read_sequence(root, name, splits=splits)
        callback = on_sequence(name, len(frames)) if on_sequence else None
        res = evaluate_sequence(model, name, frames, id_maps, on_frame=callback)
        results.append(res)
        rows[name] = {"J": res.model.J, "F": res.model.F, "JF": res.model.JF,
                      "baseline_JF": res.baseline.JF}
    return EvalReport(model=model_ref, sequences=rows, mean=mean_scores([r.model for r in results]),
                      baseline_mean=mean_scores([r.baseline for r in results]))
