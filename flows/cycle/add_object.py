"""Add an object the model missed: a person's mask on one frame becomes a manual masklet in review.

``add_object(ws, video_id=, frame=, mask=, round_id=None)`` checks the input (the video exists,
``frame`` is one of its stored frames, ``mask`` is a non-empty bool [H, W] of the video's height
x width), picks the round (the given one: it must exist, be open and belong to the video's
dataset; none given: the dataset's only open round) and its model (the round's, else the
champion), propagates the mask both ways and registers the manual masklet ``in_review`` in the
round, created by the workspace's actor (flows/cycle/drawn_objects.py, the same path as the
simulated reviewer's drawings). Idempotent: the same (video, frame, mask, round) added again
returns the first masklet, with ``created`` False, before any model work. Bad input raises one
InvalidInputError / NotFoundError / ConflictError line and stores nothing.
The masklet is reviewed like any other: ``maskloop review open R`` adds its task to the round's
Label Studio project (it adds every in-review revision the project does not hold yet).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flows.cycle.champion import load_registered
from flows.cycle.config import CycleConfig
from flows.cycle.drawn_objects import Drawing, drawing_key, register_drawing, track_drawings
from flows.cycle.workspace import Workspace
from flows.errors import ConflictError, InvalidInputError, NotFoundError
from flows.mlflow_tracker import CHAMPION
from storage.catalog.manual_masklets import manual_masklet_by_key
from storage.catalog.masklets import list_masklets
from storage.catalog.model_aliases import ModelInfo, model_by_alias, model_by_id
from storage.catalog.rounds import RoundInfo, get_round, list_rounds
from storage.catalog.videos import get_video
from storage.records import RoundStatus, VideoRef


@dataclass(frozen=True)
class AddedObject:
    """The manual masklet of an added object: ``frames`` its video frame indices (first to last
    frame where the object is tracked), ``status`` its current status, ``created`` False when the
    same drawing had been added before, ``review_open`` True when the round has a review project."""

    masklet_id: int
    round_id: int
    video_id: int
    frame: int
    frames: tuple[int, ...]
    status: str
    created: bool
    review_open: bool


def check_drawing(video: VideoRef, frame: int, mask: np.ndarray) -> Drawing:
    """The drawing of ``mask`` (any array, nonzero = object) on ``frame`` of ``video``;
    InvalidInputError naming what is wrong."""
    last = video.n_frames - 1
    if not 0 <= int(frame) <= last:
        raise InvalidInputError(f"frame {frame} is outside video {video.id}, whose frames are 0-{last}")
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise InvalidInputError(f"the mask must be 2-D (height x width), got shape {tuple(mask.shape)}")
    if mask.shape != (video.height, video.width):
        raise InvalidInputError(f"the mask is {mask.shape[0]}x{mask.shape[1]} (height x width) but video {video.id} "
                                f"is {video.height}x{video.width}; draw it at the video's size")
    drawn = mask != 0
    if not drawn.any():
        raise InvalidInputError("the mask is empty (no nonzero pixel); draw the object on the frame")
    return Drawing(frame=int(frame), mask=drawn)


def pick_round(ws: Workspace, video: VideoRef, round_id: int | None) -> RoundInfo:
    """The round to add to (module docstring); NotFoundError / ConflictError / InvalidInputError."""
    if round_id is not None:
        rnd = get_round(ws.catalog, round_id)
        if rnd.dataset != video.dataset:
            raise InvalidInputError(f"round {rnd.id} annotates dataset {rnd.dataset!r} but video {video.id} is in "
                                    f"{video.dataset!r}; pick a round of {video.dataset!r}")
        if rnd.status == RoundStatus.CLOSED:
            raise ConflictError(f"round {rnd.id} is closed and takes no new masklet; add it to an open round "
                                f"of {video.dataset!r} (--round R)")
        return rnd
    open_rounds = [r for r in list_rounds(ws.catalog, video.dataset) if r.status != RoundStatus.CLOSED]
    if len(open_rounds) == 1:
        return open_rounds[0]
    if not open_rounds:
        raise NotFoundError(f"dataset {video.dataset!r} has no open round; create one with "
                            f"`maskloop round create --dataset {video.dataset}`, or give --round R")
    ids = ", ".join(str(r.id) for r in open_rounds)
    raise InvalidInputError(f"dataset {video.dataset!r} has {len(open_rounds)} open rounds ({ids}); "
                            "say which with --round R")


def round_model(ws: Workspace, rnd: RoundInfo, cfg: CycleConfig | None = None) -> ModelInfo:
    """The round's model, else the champion of ``cfg.model_name``; NotFoundError when neither exists."""
    if rnd.model_version_id is not None:
        return model_by_id(ws.catalog, int(rnd.model_version_id))
    name = (cfg or CycleConfig()).model_name
    champion = model_by_alias(ws.catalog, name, CHAMPION)
    if champion is None:
        raise NotFoundError(f"round {rnd.id} has no model and {name!r} has no champion; "
                            "`maskloop model list` shows the registered models")
    return champion


def add_object(ws: Workspace, *, video_id: int, frame: int, mask: np.ndarray, round_id: int | None = None,
               cfg: CycleConfig | None = None, drawn_by: str | None = None) -> AddedObject:
    """See module docstring. ``mask`` [H, W] (nonzero = the object); ``frame`` a stored frame index;
    ``drawn_by`` who drew it, when not the workspace's actor (a reviewer in Label Studio)."""
    from flows.cycle.media import load_blob, load_frames

    video = get_video(ws.catalog, video_id)
    drawing = check_drawing(video, frame, mask)
    rnd = pick_round(ws, video, round_id)
    key = drawing_key(video_id=video.id, frame=drawing.frame, mask=drawing.mask, round_id=rnd.id)
    mid = manual_masklet_by_key(ws.catalog, round_id=rnd.id, video_id=video.id, key=key)
    created = False
    if mid is None:
        model = load_registered(ws, round_model(ws, rnd, cfg))
        stored = track_drawings(ws, video=video, model=model, frames=load_frames(ws.store, video),
                                drawings={0: drawing})[0]
        mid, created = register_drawing(ws, round_id=rnd.id, video=video, drawing=drawing, stored=stored,
                                        drawn_by=drawn_by)
    rows = list_masklets(ws.catalog, video_id=video.id)
    row = rows[rows["masklet_id"] == mid].iloc[0]
    return AddedObject(masklet_id=int(mid), round_id=rnd.id, video_id=video.id, frame=drawing.frame,
                       frames=tuple(load_blob(ws.store, row["blob_key"]).frame_indices), status=str(row["status"]),
                       created=created, review_open=get_round(ws.catalog, rnd.id).label_studio_project_id is not None)
