"""Automatic masklets: first-frame automatic masks propagated through the video as objects.

All survivors are tracked together (one batched forward per frame). Optionally the grid is run
again every ``reprompt_every`` frames and masks that no tracked object covers (IoU below
``dedup_iou``) start new objects there (instruments entering the view). Masklets that vanish for
good (presence score <= 0 over the last ``vanish_frames`` tracked frames) or split into several
large parts are flagged, never dropped. Masks are kept as COCO uncompressed RLE per frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from sam2.utils.amg import mask_to_rle_pytorch, rle_to_mask

from model.automask.config import AutoMaskConfig
from model.automask.frame_masks import FrameMasks, frame_masks
from model.automask.regions import component_labels
from model.metrics.confidence import calibrated_confidence
from model.network.refs import LoadedModel
from model.session.lite_session import LiteSession
from model.session.open_session import open_session
from model.session.session import VideoSession


@dataclass(frozen=True)
class MaskletProposal:
    """One automatic masklet.

    obj_id: id within the run; start_frame: frame it was prompted on; frame_indices: tracked
    frames (increasing); rles: per-frame COCO uncompressed RLE dicts {"size": [H, W], "counts":
    [...]} (column-major, as pycocotools expects); scores: per-frame confidence in [0, 1] (presence x
    the decoder's predicted IoU, calibrated: :mod:`model.metrics.confidence`); pred_iou / stability:
    first-frame mask quality; flags: subset of ("vanished", "split").
    """

    obj_id: int
    start_frame: int
    frame_indices: tuple[int, ...]
    rles: tuple[dict, ...] = field(repr=False)
    scores: tuple[float, ...]
    pred_iou: float
    stability: float
    flags: tuple[str, ...]

    def mask(self, i: int) -> np.ndarray:
        """bool [H, W] mask of the i-th tracked frame (decoded on demand)."""
        return rle_to_mask(self.rles[i])

    def masks(self) -> np.ndarray:
        """bool [T_o, H, W] masks of every tracked frame (decoded on demand)."""
        return np.stack([self.mask(i) for i in range(len(self.rles))])


class _Recorder:
    """Feeds frames to the session while remembering the last few raw frames (keyframes)."""

    def __init__(self, frames: Iterable[np.ndarray], keep: int) -> None:
        self._it = iter(frames)
        self.keep = keep
        self.recent: dict[int, np.ndarray] = {}
        self._n = 0

    def __iter__(self) -> Iterator[np.ndarray]:
        for frame in self._it:
            self.recent[self._n] = frame
            self.recent.pop(self._n - self.keep, None)
            self._n += 1
            yield frame


@dataclass
class _Track:
    obj_id: int
    start: int
    pred_iou: float
    stability: float
    frames: list[int] = field(default_factory=list)
    rles: list[dict] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    presence: list[float] = field(default_factory=list)
    split: bool = False


def generate_masklets(model: LoadedModel, frames: Iterable[np.ndarray],
                      cfg: AutoMaskConfig | None = None) -> list[MaskletProposal]:
    """Automatic masklets of a video (frames: sequence or iterator of uint8 [H, W, 3]); cfg
    defaults to the network's own thresholds (``AutoMaskConfig.for_arch``)."""
    cfg = cfg if cfg is not None else AutoMaskConfig.for_arch(model.arch.name)
    session = open_session(model)
    recorder = _Recorder(frames, keep=session.keep + 4)
    session.init(iter(recorder))
    first = recorder.recent[0]
    tracks: dict[int, _Track] = {}
    _add_objects(session, tracks, frame_masks(model.network, first, cfg, model.device), 0, None, cfg)
    if not tracks:
        return []
    for f, ids, logits, scores in session.propagate(start=0):
        masks = logits[:, 0] > 0
        for k, obj in enumerate(ids):
            tr = tracks[obj]
            if f < tr.start:
                continue
            tr.frames.append(f)
            tr.rles.append(mask_to_rle_pytorch(masks[k:k + 1])[0])
            presence = float(torch.sigmoid(scores[k]))
            tr.presence.append(presence)
            tr.scores.append(frame_confidence(session, f, obj, presence, model.arch.name))
            tr.split |= _is_split(masks[k].numpy(), cfg)
        if cfg.reprompt_every and f > 0 and f % cfg.reprompt_every == 0 and f in recorder.recent:
            found = frame_masks(model.network, recorder.recent[f], cfg, model.device)
            _add_objects(session, tracks, found, f, masks.numpy(), cfg)
    return [_proposal(t, cfg) for t in tracks.values()]


def _add_objects(session: VideoSession | LiteSession, tracks: dict[int, _Track], found: FrameMasks, frame: int,
                 tracked: np.ndarray | None, cfg: AutoMaskConfig) -> None:
    for m, iou, stab in zip(found.masks, found.pred_iou, found.stability):
        if tracked is not None and len(tracked) and _max_iou(m, tracked) >= cfg.dedup_iou:
            continue
        obj = len(tracks) + 1
        shown = session.add_prompt(frame, obj, mask=m)
        tracks[obj] = track = _Track(obj_id=obj, start=frame, pred_iou=float(iou), stability=float(stab))
        if tracked is not None:  # added mid-propagation: its prompt frame is already past
            track.frames.append(frame)
            track.rles.append(mask_to_rle_pytorch(torch.from_numpy(shown)[None])[0])
            track.scores.append(1.0)
            track.presence.append(1.0)


def frame_confidence(session: VideoSession | LiteSession, frame: int, obj: int, presence: float,
                     arch: str) -> float:
    """Calibrated confidence (0..1) of ``obj``'s mask on ``frame``: presence x predicted IoU (1.0
    where the session has no estimate), through ``arch``'s map."""
    pred_iou = session.predicted_iou(frame, obj)
    return float(calibrated_confidence(presence, 1.0 if pred_iou is None else pred_iou, arch=arch))


def _max_iou(mask: np.ndarray, others: np.ndarray) -> float:
    inter = (others & mask).reshape(len(others), -1).sum(-1)
    union = (others | mask).reshape(len(others), -1).sum(-1)
    return float(np.max(np.where(union > 0, inter / np.maximum(union, 1), 0.0)))


def _is_split(mask: np.ndarray, cfg: AutoMaskConfig) -> bool:
    if not mask.any():
        return False
    _, areas = component_labels(mask)
    if len(areas) < 2:
        return False
    big = np.sort(areas)[::-1]
    return bool(big[1] >= max(cfg.min_mask_region_area, cfg.split_min_fraction * big[0]))


def _proposal(t: _Track, cfg: AutoMaskConfig) -> MaskletProposal:
    flags = []
    tail = t.presence[-cfg.vanish_frames:]
    if len(t.presence) > cfg.vanish_frames and all(s <= 0.5 for s in tail):
        flags.append("vanished")
    if t.split:
        flags.append("split")
    return MaskletProposal(obj_id=t.obj_id, start_frame=t.start, frame_indices=tuple(t.frames),
                           rles=tuple(t.rles), scores=tuple(t.scores), pred_iou=t.pred_iou,
                           stability=t.stability, flags=tuple(flags))
