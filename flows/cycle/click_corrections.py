"""Clicks on the model for one frame of one object: how the simulated annotator edits a mask.

Both the engine's phase comparison and the rounds' oracle reviewer correct frames this way
(:func:`model.metrics.click_annotator.annotate_frame` over a video session): the frame's current
mask (a proposal's, a propagated one, or nothing) is the model's prior, each click re-segments the
frame with all clicks so far, and a frame still wrong at the click cap is drawn by hand (the
drawing becomes the frame's mask prompt, so re-propagation starts from it).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from model.metrics.click_annotator import Click, FrameEffort, annotate_frame
from model.network.refs import LoadedModel
from model.session.open_session import open_session

FrameCorrector = Callable[[int, np.ndarray | None, np.ndarray], FrameEffort]


def click_segmenter(session, frame: int, obj: int) -> Callable[[list[Click]], np.ndarray]:
    """clicks so far -> bool [H, W]: ``obj`` re-segmented on ``frame`` of an open session."""
    def segment(clicks: list[Click]) -> np.ndarray:
        return session.add_prompt(frame, obj, points=[[x, y] for x, y, _ in clicks],
                                  labels=[label for _, _, label in clicks])
    return segment


def correct_in_session(session, frame: int, obj: int, gt: np.ndarray, start: np.ndarray | None, *,
                       threshold: float, cap: int) -> FrameEffort:
    """Click ``obj`` on ``frame`` of ``session`` from ``start`` (bool [H, W], the object's mask
    there as the session already knows it, or None) until IoU >= ``threshold`` with ``gt``
    (bool [H, W]) or ``cap`` clicks; a drawn frame becomes the object's mask prompt."""
    effort = annotate_frame(click_segmenter(session, frame, obj), gt, start=start, threshold=threshold,
                            cap=cap)
    if effort.drawn and (effort.mask.any() or obj in session.obj_ids):  # empty: erased (absent there)
        session.add_prompt(frame, obj, mask=effort.mask)
    return effort


def frame_corrector(model: LoadedModel, frames: list[np.ndarray], *, threshold: float,
                    cap: int) -> FrameCorrector:
    """(frame index, start mask or None, ground truth bool [H, W]) -> :class:`FrameEffort` for
    frames uint8 [T, H, W, 3] of one video: each frame corrected on its own, the start mask given
    to the model as the frame's prompt first (a reviewer clicks on what the masklet shows)."""
    def correct(frame: int, start: np.ndarray | None, gt: np.ndarray) -> FrameEffort:
        session = open_session(model).init(frames)  # its own session: no clicks leak between frames
        if start is not None and start.any():
            session.add_prompt(frame, 1, mask=start)
        return correct_in_session(session, frame, 1, gt, start, threshold=threshold, cap=cap)
    return correct
