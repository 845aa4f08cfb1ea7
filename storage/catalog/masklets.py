"""Masklets and their immutable revisions: reads and writes of a :class:`~storage.catalog.catalog.Catalog`.

The public functions take the Catalog first and run in their own transaction (each write with its
audit event); ``add_masklet_in_session``, ``add_revision_in_session``, ``set_status``,
``revision_blob`` and ``list_masklets_in_session`` do the same work inside a caller's session
(generation, reviews, refinement and importers group several changes in one transaction).

Any change of a masklet's status or current revision sets ``dirty``, so the next dataset commit
finds what changed through a partial index instead of scanning the dataset.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session

from storage.audit.trail import append_event
from storage.catalog.catalog import Catalog
from storage.catalog.tables import (
    ORIGINS,
    SOURCES,
    STATUSES,
    Dataset,
    Masklet,
    MaskletRevision,
    Video,
)
from storage.catalog.videos import check_sha256
from storage.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    import pandas as pd


def check_choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise InvalidInputError(f"invalid {what} {value!r}: use one of {', '.join(allowed)}")
    return value


def _check_frames(frame_indices: Sequence[int], scores: Sequence[float]) -> tuple[list[int], list[float]]:
    frames = [int(i) for i in frame_indices]
    values = [float(s) for s in scores]
    if not frames:
        raise InvalidInputError("a masklet revision needs at least one frame")
    if any(f < 0 for f in frames) or any(b <= a for a, b in itertools.pairwise(frames)):
        raise InvalidInputError("frame indices must be non-negative and strictly increasing")
    if len(values) != len(frames):
        raise InvalidInputError(f"{len(values)} scores for {len(frames)} frames: give one score per frame")
    if any(not math.isfinite(s) or s < 0 or s > 1 for s in values):
        raise InvalidInputError("scores must be finite numbers in [0, 1]")
    return frames, values


def _masklet(session: Session, masklet_id: int, *, lock: bool = False) -> Masklet:
    query = sa.select(Masklet).where(Masklet.id == int(masklet_id))
    if lock:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFoundError(f"masklet {masklet_id} not found")
    return row


def _insert_revision(session: Session, *, masklet_id: int, rev: int, blob_key: str, blob_sha256: str,
                     frames: list[int], scores: list[float], source: str, actor: str) -> MaskletRevision:
    check_sha256(blob_sha256, what="blob sha256")
    check_choice(source, SOURCES, "revision source")
    if not blob_key or ".." in blob_key.split("/") or blob_key.startswith("/"):
        raise InvalidInputError(f"invalid blob key {blob_key!r}")
    row = MaskletRevision(masklet_id=masklet_id, rev=rev, blob_key=blob_key, blob_sha256=blob_sha256,
                          frame_start=frames[0], frame_end=frames[-1], frame_indices=json.dumps(frames),
                          scores=json.dumps(scores), source=source, created_by=actor)
    session.add(row)
    return row


def add_masklet_in_session(session: Session, *, video_id: int, origin: str, blob_key: str, blob_sha256: str,
                           frame_indices: Sequence[int], scores: Sequence[float], status: str, source: str,
                           actor: str, role: str, round_id: int | None = None,
                           generator_model_version_id: int | None = None, generator_params_hash: str | None = None) -> int:
    check_choice(origin, ORIGINS, "origin")
    check_choice(status, STATUSES, "status")
    frames, values = _check_frames(frame_indices, scores)
    n_frames = session.execute(sa.select(Video.n_frames).where(Video.id == int(video_id))).scalar_one_or_none()
    if n_frames is None:
        raise NotFoundError(f"video {video_id} not found")
    if frames[-1] >= n_frames:
        raise InvalidInputError(f"frame {frames[-1]} is past the end of video {video_id} ({n_frames} frames)")
    row = Masklet(video_id=int(video_id), round_id=round_id, origin=origin, status=status,
                  generator_model_version_id=generator_model_version_id,
                  generator_params_hash=generator_params_hash, current_revision=1, dirty=True, created_by=actor)
    session.add(row)
    session.flush()
    _insert_revision(session, masklet_id=int(row.id), rev=1, blob_key=blob_key, blob_sha256=blob_sha256,
                     frames=frames, scores=values, source=source, actor=actor)
    session.flush()
    append_event(session, actor=actor, role=role, action="masklet.create", entity=f"masklet:{row.id}",
                 details={"video_id": int(video_id), "origin": origin, "status": status, "revision": 1,
                          "blob_sha256": blob_sha256, "round_id": round_id,
                          "generator_model_version_id": generator_model_version_id,
                          "generator_params_hash": generator_params_hash, "n_frames": len(frames)})
    return int(row.id)


def add_revision_in_session(session: Session, masklet_id: int, *, blob_key: str, blob_sha256: str,
                            frame_indices: Sequence[int], scores: Sequence[float], source: str, actor: str, role: str) -> int:
    frames, values = _check_frames(frame_indices, scores)
    masklet = _masklet(session, masklet_id, lock=True)
    rev = masklet.current_revision + 1
    _insert_revision(session, masklet_id=int(masklet.id), rev=rev, blob_key=blob_key, blob_sha256=blob_sha256,
                     frames=frames, scores=values, source=source, actor=actor)
    session.execute(sa.update(Masklet).where(Masklet.id == masklet.id).values(current_revision=rev, dirty=True))
    append_event(session, actor=actor, role=role, action="masklet.revise", entity=f"masklet:{masklet.id}",
                 details={"revision": rev, "blob_sha256": blob_sha256, "source": source, "n_frames": len(frames)})
    return rev


def set_status(session: Session, masklet_id: int, status: str, *, actor: str, role: str) -> None:
    check_choice(status, STATUSES, "status")
    masklet = _masklet(session, masklet_id, lock=True)
    previous = masklet.status
    if previous == status:
        return
    session.execute(sa.update(Masklet).where(Masklet.id == masklet.id).values(status=status, dirty=True))
    append_event(session, actor=actor, role=role, action="masklet.status", entity=f"masklet:{masklet.id}",
                 details={"from": previous, "to": status, "revision": masklet.current_revision})


def revision_blob(session: Session, masklet_id: int, revision: int | None) -> tuple[str, str]:
    masklet = _masklet(session, masklet_id)
    rev = masklet.current_revision if revision is None else int(revision)
    row = session.execute(
        sa.select(MaskletRevision.blob_key, MaskletRevision.blob_sha256)
        .where(MaskletRevision.masklet_id == masklet.id, MaskletRevision.rev == rev)
    ).first()
    if row is None:
        raise NotFoundError(f"masklet {masklet_id} has no revision {rev}")
    return row.blob_key, row.blob_sha256


MASKLET_COLUMNS = ["masklet_id", "video_id", "video_sha256", "dataset", "origin", "status", "revision",
                   "blob_key", "blob_sha256", "frame_start", "frame_end", "round_id",
                   "generator_model_version_id", "created_by"]


def list_masklets_in_session(session: Session, *, video_id: int | None = None, dataset: str | None = None,
                             origin: str | None = None, status: str | None = None) -> pd.DataFrame:
    """One row per masklet with its current revision; columns :data:`MASKLET_COLUMNS`."""
    import pandas as pd  # imported on use: the catalog's writers (flow runs) never need it

    query = (
        sa.select(Masklet.id.label("masklet_id"), Masklet.video_id, Video.sha256.label("video_sha256"),
                  Dataset.name.label("dataset"), Masklet.origin, Masklet.status,
                  Masklet.current_revision.label("revision"), MaskletRevision.blob_key,
                  MaskletRevision.blob_sha256, MaskletRevision.frame_start, MaskletRevision.frame_end,
                  Masklet.round_id, Masklet.generator_model_version_id, Masklet.created_by)
        .join(Video, Video.id == Masklet.video_id)
        .join(Dataset, Dataset.id == Video.dataset_id)
        .join(MaskletRevision, sa.and_(MaskletRevision.masklet_id == Masklet.id,
                                       MaskletRevision.rev == Masklet.current_revision))
        .order_by(Masklet.id)
    )
    if video_id is not None:
        query = query.where(Masklet.video_id == int(video_id))
    if dataset is not None:
        query = query.where(Dataset.name == dataset)
    if origin is not None:
        query = query.where(Masklet.origin == check_choice(origin, ORIGINS, "origin"))
    if status is not None:
        query = query.where(Masklet.status == check_choice(status, STATUSES, "status"))
    rows = session.execute(query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=MASKLET_COLUMNS)


def add_masklet(catalog: Catalog, *, video_id: int, origin: str, blob_key: str, blob_sha256: str,
                frame_indices: Sequence[int], scores: Sequence[float], status: str, source: str,
                actor: str, role: str, round_id: int | None = None,
                generator_model_version_id: int | None = None,
                generator_params_hash: str | None = None) -> int:
    """New masklet with revision 1; returns its id."""
    return catalog.write("adding a masklet", actor, role, lambda s: add_masklet_in_session(
        s, video_id=video_id, origin=origin, blob_key=blob_key, blob_sha256=blob_sha256,
        frame_indices=frame_indices, scores=scores, status=status, source=source, actor=actor, role=role,
        round_id=round_id, generator_model_version_id=generator_model_version_id,
        generator_params_hash=generator_params_hash))


def add_revision(catalog: Catalog, masklet_id: int, *, blob_key: str, blob_sha256: str,
                 frame_indices: Sequence[int], scores: Sequence[float], source: str, actor: str, role: str) -> int:
    """New immutable revision, made current; returns its number (2, 3, ...)."""
    return catalog.write(f"revising masklet {masklet_id}", actor, role, lambda s: add_revision_in_session(
        s, masklet_id, blob_key=blob_key, blob_sha256=blob_sha256, frame_indices=frame_indices,
        scores=scores, source=source, actor=actor, role=role))


def set_masklet_status(catalog: Catalog, masklet_id: int, status: str, *, actor: str, role: str) -> None:
    catalog.write(f"setting the status of masklet {masklet_id}", actor, role,
                  lambda s: set_status(s, masklet_id, status, actor=actor, role=role))


def masklet_revision_blob(catalog: Catalog, masklet_id: int, revision: int | None = None) -> tuple[str, str]:
    """(blob_key, blob_sha256) of a revision (default: the current one)."""
    with catalog.session(f"reading masklet {masklet_id}") as s:
        return revision_blob(s, masklet_id, revision)


def list_masklets(catalog: Catalog, *, video_id: int | None = None, dataset: str | None = None,
                  origin: str | None = None, status: str | None = None) -> pd.DataFrame:
    """Masklets with their current revision; columns ``storage.catalog.masklets.MASKLET_COLUMNS``."""
    with catalog.session("listing masklets") as s:
        return list_masklets_in_session(s, video_id=video_id, dataset=dataset, origin=origin, status=status)
