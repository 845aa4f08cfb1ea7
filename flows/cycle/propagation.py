"""Mask prompts -> masklets through the video with a SAM 2 session (refinement, manual drawings).

``propagate_prompts(model, frames, prompts)``: ``prompts`` maps an object id to {frame index:
bool [H, W] mask}, an empty mask meaning the object is absent there (an erased frame; an object
needs one non-empty mask to be tracked); every object is tracked forward from its first prompt
(and, with ``backward``, also back to frame 0). Returns object id -> bool [T, H, W] (frames before the first prompt empty
unless ``backward``) and per-frame confidence [T] in [0, 1] (presence x predicted IoU, calibrated:
:mod:`model.metrics.confidence`; 1.0 on the prompted frames).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def _run(model, frames: np.ndarray, prompts: Mapping[int, Mapping[int, np.ndarray]], *,
         start: int, reverse: bool, masks: dict[int, np.ndarray], scores: dict[int, np.ndarray]) -> None:
    import torch

    from model.automask.masklets import frame_confidence
    from model.session.open_session import open_session

    session = open_session(model).init(list(frames))
    for obj, per_frame in prompts.items():
        # an object's first prompt shows it; its empty masks (erased frames) come after
        for f, mask in sorted(per_frame.items(), key=lambda item: (not np.any(item[1]), item[0])):
            ahead = (f <= start) if reverse else (f >= start)
            if ahead and (np.any(mask) or int(obj) in session.obj_ids):
                session.add_prompt(int(f), int(obj), mask=np.asarray(mask, bool))
    if not session.obj_ids:
        return
    for f, ids, logits, obj_scores in session.propagate(start=start, reverse=reverse):
        probs = torch.sigmoid(obj_scores).numpy()
        for k, obj in enumerate(ids):
            first = min(prompts[obj])
            if (f > first) if reverse else (f < first):
                continue
            masks[obj][f] = (logits[k, 0] > 0).numpy()
            scores[obj][f] = frame_confidence(session, f, obj, float(probs[k]), model.arch.name)


def propagate_prompts(model, frames: np.ndarray, prompts: Mapping[int, Mapping[int, np.ndarray]], *,
                      backward: bool = False) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """See module docstring. ``frames`` uint8 [T, H, W, 3]; model a loaded SAM 2 model."""
    t, h, w = frames.shape[:3]
    masks = {int(o): np.zeros((t, h, w), bool) for o in prompts}
    scores = {int(o): np.zeros(t, np.float32) for o in prompts}
    if not prompts:
        return masks, scores
    start = min(min(p) for p in prompts.values())
    _run(model, frames, prompts, start=start, reverse=False, masks=masks, scores=scores)
    if backward:
        last = max(min(p) for p in prompts.values())
        _run(model, frames, prompts, start=last, reverse=True, masks=masks, scores=scores)
    for obj, per_frame in prompts.items():  # the prompted frames are exactly what the person drew
        for f, mask in per_frame.items():
            masks[int(obj)][int(f)] = np.asarray(mask, bool)
            scores[int(obj)][int(f)] = 1.0
    return masks, scores
