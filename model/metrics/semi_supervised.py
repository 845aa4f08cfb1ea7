"""Semi-supervised VOS evaluation of a model on one sequence (arrays in, scores out).

Every object is prompted with its ground-truth mask on the first frame it appears on (frame 0 for
DAVIS) and scored on every later frame; the same frames score the "copy the prompt mask to
every later frame" baseline. Predictions are made non-overlapping (each pixel goes to the object
with the highest positive logit), as DAVIS index maps are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from model.errors import InvalidInputError
from model.metrics.vos import SequenceScore, score_object
from model.network.refs import LoadedModel
from model.session.open_session import open_session


@dataclass(frozen=True)
class SequenceResult:
    """Model and baseline scores of one sequence; prompt_frames: object id -> prompted frame."""

    model: SequenceScore
    baseline: SequenceScore
    prompt_frames: dict[int, int]


def first_appearances(id_maps: np.ndarray) -> dict[int, int]:
    """Object id -> index of the first frame it appears on, from uint8/int [T, H, W] id maps."""
    first: dict[int, int] = {}
    for t, ids in enumerate(id_maps):
        for obj in np.unique(ids):
            if obj != 0 and int(obj) not in first:
                first[int(obj)] = t
    return first


def track_sequence(model: LoadedModel, frames: list[np.ndarray], prompts: dict[int, tuple[int, np.ndarray]],
                   on_frame: Callable[[int], None] | None = None,
                   make_session: Callable[[LoadedModel], object] = open_session) -> dict[int, np.ndarray]:
    """Prompt each object (id -> (frame, bool mask [H, W])) and propagate forward
    (``make_session``: the session of the model, e.g. an ablation of it).

    Returns object id -> bool [T, H, W] predicted masks (non-overlapping).
    """
    session = make_session(model).init(frames)
    for obj, (t, mask) in sorted(prompts.items(), key=lambda kv: kv[1][0]):
        session.add_prompt(t, obj, mask=mask)
    h, w = frames[0].shape[:2]
    labels = np.zeros((len(frames), h, w), np.int32)
    ids = np.asarray(session.obj_ids)
    for f, _, logits, _ in session.propagate():
        best = logits[:, 0].argmax(dim=0)
        positive = logits[:, 0].max(dim=0).values > 0
        labels[f] = torch.where(positive, best + 1, 0).numpy()
        if on_frame is not None:
            on_frame(f)
    return {int(obj): labels == k + 1 for k, obj in enumerate(ids)}


def evaluate_sequence(model: LoadedModel, name: str, frames: list[np.ndarray], id_maps: np.ndarray,
                      on_frame: Callable[[int], None] | None = None,
                      make_session: Callable[[LoadedModel], object] = open_session) -> SequenceResult:
    """Score ``model`` and the copy-mask baseline on one sequence.

    frames: T uint8 [H, W, 3]; id_maps: int [T, H, W] ground-truth object ids (0 background).
    """
    id_maps = np.asarray(id_maps)
    if len(frames) != len(id_maps) or len(frames) < 2:
        raise InvalidInputError(f"sequence {name}: needs >= 2 frames and one id map per frame")
    first = first_appearances(id_maps)
    if not first:
        raise InvalidInputError(f"sequence {name}: the ground truth has no object")
    prompts = {obj: (t, id_maps[t] == obj) for obj, t in first.items()}
    predicted = track_sequence(model, frames, prompts, on_frame=on_frame, make_session=make_session)
    model_scores, base_scores = [], []
    for obj, t0 in sorted(first.items()):
        later = list(range(t0 + 1, len(frames)))
        if not later:
            continue
        gt = id_maps == obj
        copy = np.broadcast_to(gt[t0], gt.shape)
        model_scores.append(score_object(obj, predicted[obj], gt, later))
        base_scores.append(score_object(obj, copy, gt, later))
    return SequenceResult(model=SequenceScore(name, tuple(model_scores)),
                          baseline=SequenceScore(name, tuple(base_scores)), prompt_frames=first)
