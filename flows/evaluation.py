"""Semi-supervised VOS evaluation on a dataset folder (``maskloop eval``).

Two layouts are read (detected from the folder; the files found and checked by
:mod:`storage.importers.davis_folder`, the one DAVIS reader):
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
from storage.importers.davis_folder import FLAT_FRAMES, FLAT_MASKS, RESOLUTION


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
    from storage.importers.davis_folder import is_davis_root, is_flat_sequence

    root = Path(root)
    if not root.is_dir():
        raise NotFoundError(f"no such folder: {root}; pass the dataset root with --data")
    if is_davis_root(root):
        return "davis"
    if is_flat_sequence(root):
        return "flat"
    raise InvalidInputError(
        f"{root} is not a dataset: expected a DAVIS root (JPEGImages/{RESOLUTION}, "
        f"Annotations/{RESOLUTION}) or a folder with {FLAT_FRAMES}/ and {FLAT_MASKS}/"
    )


def list_sequences(root: Path) -> list[str]:
    """Sequence names of the dataset (sorted; a flat folder is one sequence named after it)."""
    from storage.importers.davis_folder import davis_sequences

    if dataset_layout(root) == "flat":
        return [Path(root).resolve().name]
    return davis_sequences(root)


def _sequence_dirs(root: Path, name: str) -> tuple[Path, Path]:
    from storage.importers.davis_folder import frame_folder, mask_folder

    root = Path(root)
    if dataset_layout(root) == "flat":
        if name != root.resolve().name:
            raise NotFoundError(
                f"sequence {name} not found: {root} holds one sequence, {root.resolve().name}"
            )
        return root / FLAT_FRAMES, root / FLAT_MASKS
    return frame_folder(root, name), mask_folder(root, name)


def read_sequence(root: Path, name: str, *, first_only: bool = False,
                  splits: list[ObjectSplit] | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """Frames (uint8 [H, W, 3] each) and ground-truth id maps (uint8 [T, H, W]) of one sequence.

    The files are found and checked by :mod:`storage.importers.davis_folder` (gaps in the frame
    numbers allowed: sparsely annotated clips). first_only: read frame 0 and its mask only (T = 1).
    splits: ids that become a new object (the sequence's highest id + 1) from a named frame on,
    applied in order.
    """
    from storage.importers.davis_folder import read_id_maps, sequence_files
    from storage.media.frame_folder import read_frame

    frame_files, mask_files = sequence_files(*_sequence_dirs(root, name), name, consecutive=False)
    stems = [p.stem for p in frame_files]
    if first_only:
        frame_files, mask_files = frame_files[:1], mask_files[:1]
    frames = [read_frame(p) for p in frame_files]
    height, width = frames[0].shape[:2]
    id_maps = np.stack(read_id_maps(name, mask_files, height=height, width=width))
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
