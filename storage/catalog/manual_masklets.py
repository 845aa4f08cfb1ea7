"""A round's manual masklets (objects a person drew), registered once per drawing key.

A drawn object is keyed by a 64-hex-digit ``key`` (the caller's sha256 of video, frame, mask and
round), stored in ``masklet.generator_params_hash`` of a masklet with origin ``manual``. The
lookup and the insert run in ONE transaction holding the round's row lock, so adding the same
drawing twice (a rerun, a retried request, two people at once) returns the first masklet and
writes nothing; a closed round takes no new masklet.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from storage.catalog import masklets as _masklets
from storage.catalog.catalog import Catalog
from storage.catalog.guard import check_writer
from storage.catalog.tables import AnnotationRound, Masklet
from storage.errors import ConflictError, InvalidInputError, NotFoundError
from storage.records import MaskletOrigin, MaskletStatus, RoundStatus


def add_manual_masklet(catalog: Catalog, *, round_id: int, video_id: int, key: str, blob_key: str,
                       blob_sha256: str, frame_indices: Sequence[int], scores: Sequence[float], actor: str,
                       role: str) -> tuple[int, bool]:
    """Register a drawn object as a manual masklet in review in the round; ``(id, created)``.

    ``frame_indices`` increasing video frame indices, ``scores`` one in [0, 1] per frame (the
    blob already in the object store). A masklet with this ``key`` in the round and video is
    returned with ``created`` False. NotFoundError for an unknown round, ConflictError for a
    closed one.
    """
    check_writer(actor, role)
    _check_key(key)
    with catalog.session(f"registering a drawn object of video {video_id} in round {round_id}") as s:
        row = s.get(AnnotationRound, int(round_id), with_for_update=True)  # serializes concurrent adds
        if row is None:
            raise NotFoundError(f"annotation round {round_id} not found; `maskloop round list DATASET` lists rounds")
        found = _keyed(s, round_id, video_id, key)
        if found is not None:
            return found, False
        if row.status == RoundStatus.CLOSED:
            raise ConflictError(f"round {round_id} is closed and takes no new masklet; add it to an open round "
                                "(--round R)")
        mid = _masklets.add_masklet_in_session(
            s, video_id=video_id, origin=MaskletOrigin.MANUAL, blob_key=blob_key, blob_sha256=blob_sha256,
            frame_indices=frame_indices, scores=scores, status=MaskletStatus.IN_REVIEW, source="reviewer",
            actor=actor, role=role, round_id=int(round_id), generator_params_hash=key)
        return mid, True


def manual_masklet_by_key(catalog: Catalog, *, round_id: int, video_id: int, key: str) -> int | None:
    """Id of the manual masklet drawn under ``key`` in this round and video, None when there is none."""
    _check_key(key)
    with catalog.session(f"looking up a drawn object of video {video_id} in round {round_id}") as s:
        return _keyed(s, round_id, video_id, key)


def _check_key(key: str) -> None:
    if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
        raise InvalidInputError(f"a drawing key is 64 lowercase hex digits (sha256), got {key!r}")


def _keyed(s, round_id: int, video_id: int, key: str) -> int | None:
    found = s.execute(sa.select(Masklet.id).where(
        Masklet.round_id == int(round_id), Masklet.video_id == int(video_id), Masklet.origin == MaskletOrigin.MANUAL,
        Masklet.generator_params_hash == key).order_by(Masklet.id).limit(1)).scalar_one_or_none()
    return None if found is None else int(found)
