"""Semi-supervised VOS evaluation on a DAVIS-layout folder (``maskloop eval``).

Reads ``ROOT/JPEGImages/480p/<seq>/*.jpg|png`` and ``ROOT/Annotations/480p/<seq>/*.png`` with PIL
into arrays, runs :func:`model.metrics.semi_supervised.evaluate_sequence` per sequence (model and
copy-first-mask baseline) and formats the result as a table or one JSON object.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from flows.errors import InvalidInputError, NotFoundError

RESOLUTION = "480p"
FRAME_SUFFIXES = (".jpg", ".jpeg", ".png")


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


def list_sequences(root: Path) -> list[str]:
    """Sequence names under ROOT/JPEGImages/480p (sorted)."""
    images = Path(root) / "JPEGImages" / RESOLUTION
    if not Path(root).is_dir():
        raise NotFoundError(f"no such folder: {root}; pass the DAVIS root with --data")
    if not images.is_dir():
        raise InvalidInputError(f"{root} is not a DAVIS root: it has no JPEGImages/{RESOLUTION} folder")
    return sorted(p.name for p in images.iterdir() if p.is_dir() and not p.name.startswith("."))


def read_sequence(root: Path, name: str) -> tuple[list[np.ndarray], np.ndarray]:
    """Frames (uint8 [H, W, 3] each) and ground-truth id maps (uint8 [T, H, W]) of one sequence."""
    from PIL import Image

    from storage.masks.davis_png import read_davis_mask

    frame_dir = Path(root) / "JPEGImages" / RESOLUTION / name
    mask_dir = Path(root) / "Annotations" / RESOLUTION / name
    if not frame_dir.is_dir():
        raise NotFoundError(f"sequence {name} not found under {root}/JPEGImages/{RESOLUTION}")
    if not mask_dir.is_dir():
        raise InvalidInputError(f"sequence {name} has no Annotations/{RESOLUTION}/{name} folder")
    frame_files = sorted(p for p in frame_dir.iterdir() if p.suffix.lower() in FRAME_SUFFIXES)
    masks_by_stem = {p.stem: p for p in mask_dir.iterdir() if p.suffix.lower() == ".png"}
    missing = [p.name for p in frame_files if p.stem not in masks_by_stem]
    if missing:
        raise InvalidInputError(f"sequence {name}: frames without a mask PNG: {', '.join(missing[:3])}")
    frames = [np.asarray(Image.open(p).convert("RGB")) for p in frame_files]
    id_maps = np.stack([read_davis_mask(masks_by_stem[p.stem]) for p in frame_files])
    if id_maps.shape[1:] != frames[0].shape[:2]:
        raise InvalidInputError(f"sequence {name}: masks are {id_maps.shape[1:]} but frames {frames[0].shape[:2]}")
    return frames, id_maps


def resolve_sequences(root: Path, sequences: list[str] | None) -> list[str]:
    """The named sequences (all when None), checked to exist under ROOT."""
    available = list_sequences(root)
    wanted = sequences or available
    unknown = [s for s in wanted if s not in available]
    if unknown:
        raise NotFoundError(f"sequences not in {root}: {', '.join(unknown)}; available: {', '.join(available[:10])}")
    if not wanted:
        raise InvalidInputError(f"{root} holds no sequences")
    return wanted


def evaluate_davis(root: Path, *, model_ref: str, device: str = "auto", sequences: list[str] | None = None,
                   on_sequence: Callable[[str, int], Callable[[int], None] | None] | None = None,
                   model: object | None = None) -> EvalReport:
    """Evaluate ``model_ref`` (or the already loaded ``model``) on the (named) sequences of a DAVIS root.

    on_sequence(name, n_frames) may return a per-frame callback (progress display).
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
        frames, id_maps = read_sequence(root, name)
        callback = on_sequence(name, len(frames)) if on_sequence else None
        res = evaluate_sequence(model, name, frames, id_maps, on_frame=callback)
        results.append(res)
        rows[name] = {"J": res.model.J, "F": res.model.F, "JF": res.model.JF, "baseline_JF": res.baseline.JF}
    return EvalReport(model=model_ref, sequences=rows, mean=mean_scores([r.model for r in results]),
                      baseline_mean=mean_scores([r.baseline for r in results]))
