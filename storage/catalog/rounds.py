"""Annotation rounds, their masklets and effort, model aliases and scores (the cycle's catalog side).

Functions take the :class:`~storage.catalog.catalog.Catalog` facade and run each write in one
transaction with its audit event, like the facade's own methods. Round states::

    created -> generating -> in_review <-> refining -> closed

(``open``, the table's default, reads as ``created``.) Model aliases live in model_aliases.py. Generated masklets of one
(round, video, generator model, params hash) are inserted in ONE transaction, after checking none
exist under that key, so a rerun or a crashed-and-retried generation never duplicates them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from storage.audit.trail import append_event
from storage.catalog import masklets as _masklets
from storage.catalog.catalog import Catalog
from storage.catalog.guard import check_writer
from storage.catalog.tables import (
    AnnotationRound,
    AuditEvent,
    Dataset,
    Masklet,
    Review,
    Video,
    VideoSplit,
)
from storage.errors import ConflictError, InvalidInputError, NotFoundError
from storage.records import MaskletOrigin, MaskletStatus, RoundStatus, Verdict

if TYPE_CHECKING:
    import pandas as pd

ROUND_STATES = tuple(RoundStatus)
_R = RoundStatus
_NEXT = {
    _R.CREATED: {_R.GENERATING, _R.IN_REVIEW, _R.CLOSED},
    _R.GENERATING: {_R.GENERATING, _R.IN_REVIEW, _R.CLOSED},
    _R.IN_REVIEW: {_R.REFINING, _R.IN_REVIEW, _R.CLOSED},
    _R.REFINING: {_R.IN_REVIEW, _R.REFINING, _R.CLOSED},
    _R.CLOSED: set(),
}


@dataclass(frozen=True)
class RoundInfo:
    """One annotation round (``status`` a :class:`~storage.records.RoundStatus`; times UTC)."""

    id: int
    dataset: str
    status: RoundStatus
    model_version_id: int | None
    budget: int | None
    label_studio_project_id: int | None
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class GeneratedMasklet:
    """A masklet blob already in the object store, to register as an automatic proposal."""

    blob_key: str
    blob_sha256: str
    frame_indices: tuple[int, ...]
    scores: tuple[float, ...]


def _status(raw: str) -> RoundStatus:
    return RoundStatus.CREATED if raw == "open" else RoundStatus(raw)


def _info(row: AnnotationRound, dataset: str) -> RoundInfo:
    return RoundInfo(id=int(row.id), dataset=dataset, status=_status(row.status), model_version_id=row.model_version_id,
                     budget=row.budget, label_studio_project_id=row.label_studio_project_id,
                     created_by=row.created_by, created_at=row.created_at)


def get_round(catalog: Catalog, round_id: int) -> RoundInfo:
    """The round; NotFoundError when absent."""
    with catalog.session(f"reading round {round_id}") as s:
        row = s.execute(sa.select(AnnotationRound, Dataset.name).join(Dataset, Dataset.id == AnnotationRound.dataset_id)
                        .where(AnnotationRound.id == int(round_id))).first()
        if row is None:
            raise NotFoundError(f"annotation round {round_id} not found; `maskloop round list DATASET` lists rounds")
        return _info(row[0], row[1])


def list_rounds(catalog: Catalog, dataset: str | None = None) -> list[RoundInfo]:
    """Rounds (of ``dataset``, or all), oldest first."""
    with catalog.session("listing rounds") as s:
        query = sa.select(AnnotationRound, Dataset.name).join(Dataset, Dataset.id == AnnotationRound.dataset_id)
        if dataset is not None:
            query = query.where(Dataset.name == dataset)
        return [_info(r, name) for r, name in s.execute(query.order_by(AnnotationRound.id)).all()]


def set_round_status(catalog: Catalog, round_id: int, status: RoundStatus | str, *, actor: str, role: str,
                     details: dict | None = None) -> RoundStatus:
    """Move a round to ``status`` (audited); returns the previous status.

    ConflictError for a transition the state machine does not allow (e.g. out of ``closed``).
    """
    if status not in ROUND_STATES:
        raise InvalidInputError(f"invalid round status {status!r}: use one of {', '.join(ROUND_STATES)}")
    status = RoundStatus(status)
    check_writer(actor, role)
    with catalog.session(f"setting the status of round {round_id}") as s:
        row = s.get(AnnotationRound, int(round_id), with_for_update=True)
        if row is None:
            raise NotFoundError(f"annotation round {round_id} not found")
        previous = _status(row.status)
        if status not in _NEXT[previous] and status != previous:
            raise ConflictError(f"round {round_id} is {previous} and cannot become {status}")
        if status != row.status:
            s.execute(sa.update(AnnotationRound).where(AnnotationRound.id == row.id).values(status=status))
            append_event(s, actor=actor, role=role, action="round.status", entity=f"annotation_round:{row.id}",
                         details={"from": previous, "to": status, **(details or {})})
        return previous


def set_round_project(catalog: Catalog, round_id: int, project_id: int, *, actor: str, role: str) -> None:
    """Record the round's review project (Label Studio project id), audited."""
    check_writer(actor, role)
    with catalog.session(f"linking round {round_id} to its review project") as s:
        row = s.get(AnnotationRound, int(round_id), with_for_update=True)
        if row is None:
            raise NotFoundError(f"annotation round {round_id} not found")
        if row.label_studio_project_id == int(project_id):
            return
        s.execute(sa.update(AnnotationRound).where(AnnotationRound.id == row.id)
                  .values(label_studio_project_id=int(project_id)))
        append_event(s, actor=actor, role=role, action="round.project", entity=f"annotation_round:{row.id}",
                     details={"label_studio_project_id": int(project_id)})


def add_generated_masklets(catalog: Catalog, *, round_id: int, video_id: int, model_version_id: int | None,
                           params_hash: str, masklets: Sequence[GeneratedMasklet], actor: str,
                           role: str) -> tuple[list[int], bool]:
    """Register a video's proposals of a round atomically; ``(ids, created)``.

    When masklets with the same (round, video, generator model, params hash) exist already the
    stored ids are returned with ``created`` False and nothing is written.
    """
    check_writer(actor, role)
    with catalog.session(f"registering masklets of video {video_id} in round {round_id}") as s:
        round_row = s.get(AnnotationRound, int(round_id), with_for_update=True)  # serializes generators
        if round_row is None:
            raise NotFoundError(f"annotation round {round_id} not found")
        existing = _keyed(s, round_id, video_id, model_version_id, params_hash)
        if existing:
            return existing, False
        ids = [
            _masklets.add_masklet(s, video_id=video_id, origin=MaskletOrigin.AUTO, blob_key=m.blob_key, blob_sha256=m.blob_sha256,
                                  frame_indices=list(m.frame_indices), scores=list(m.scores), status=MaskletStatus.IN_REVIEW,
                                  source="model", actor=actor, role=role, round_id=int(round_id),
                                  generator_model_version_id=model_version_id, generator_params_hash=params_hash)
            for m in masklets
        ]
        append_event(s, actor=actor, role=role, action="round.generated", entity=f"annotation_round:{round_id}",
                     details={"video_id": int(video_id), "model_version_id": model_version_id,
                              "params_hash": params_hash, "masklets": ids})
        return ids, True


def keyed_masklets(catalog: Catalog, *, round_id: int, video_id: int, model_version_id: int | None,
                   params_hash: str) -> list[int]:
    """Ids of the proposals generated under this (round, video, model, params hash) key."""
    with catalog.session(f"reading masklets of video {video_id} in round {round_id}") as s:
        return _keyed(s, round_id, video_id, model_version_id, params_hash)


def _keyed(s, round_id: int, video_id: int, model_version_id: int | None, params_hash: str) -> list[int]:
    model_match = (Masklet.generator_model_version_id.is_(None) if model_version_id is None
                   else Masklet.generator_model_version_id == int(model_version_id))
    rows = s.execute(sa.select(Masklet.id).where(
        Masklet.round_id == int(round_id), Masklet.video_id == int(video_id), Masklet.origin == MaskletOrigin.AUTO,
        Masklet.generator_params_hash == params_hash, model_match).order_by(Masklet.id)).scalars().all()
    return [int(r) for r in rows]


def record_plan(catalog: Catalog, round_id: int, video_ids: Sequence[int], *, actor: str, role: str) -> None:
    """Record the videos chosen for a round (audit event ``round.plan``; read by :func:`round_videos`)."""
    check_writer(actor, role)
    with catalog.session(f"recording the videos of round {round_id}") as s:
        if s.get(AnnotationRound, int(round_id)) is None:
            raise NotFoundError(f"annotation round {round_id} not found")
        append_event(s, actor=actor, role=role, action="round.plan", entity=f"annotation_round:{round_id}",
                     details={"video_ids": [int(v) for v in video_ids]})


def round_videos(catalog: Catalog, round_id: int) -> list[int]:
    """Videos chosen for a round (its latest ``round.plan``), else the videos of its masklets."""
    with catalog.session(f"reading the videos of round {round_id}") as s:
        plan = s.execute(sa.select(AuditEvent.details).where(
            AuditEvent.action == "round.plan", AuditEvent.entity == f"annotation_round:{round_id}")
            .order_by(AuditEvent.id.desc()).limit(1)).scalar_one_or_none()
        if plan is not None:
            return [int(v) for v in json.loads(plan)["video_ids"]]
        rows = s.execute(sa.select(Masklet.video_id).where(Masklet.round_id == int(round_id)).distinct()).scalars()
        return sorted(int(v) for v in rows)


def apply_review(catalog: Catalog, *, masklet_id: int, revision: int, reviewer: str, verdict: Verdict | str,
                 new_status: MaskletStatus | str,
                 external_id: str, actor: str, role: str, correction: GeneratedMasklet | None = None,
                 frames_edited: int = 0, clicks: int = 0, seconds: float = 0.0) -> tuple[int, bool]:
    """Record one review atomically: the corrected revision (source ``reviewer``) if any, the
    review row and the masklet's new status; ``(review id, created)``.

    Idempotent by ``external_id``: a review already stored returns ``(its id, False)`` and nothing
    else is written, so a repeated sync never adds a second corrected revision.
    """
    from storage.catalog import registry as _registry

    check_writer(actor, role)
    with catalog.session(f"recording a review of masklet {masklet_id}") as s:
        found = s.execute(sa.select(Review.id).where(Review.external_id == external_id)).scalar_one_or_none()
        if found is not None:
            return int(found), False
        corrected = None
        if correction is not None:
            corrected = _masklets.add_revision(
                s, masklet_id, blob_key=correction.blob_key, blob_sha256=correction.blob_sha256,
                frame_indices=list(correction.frame_indices), scores=list(correction.scores), source="reviewer",
                actor=actor, role=role)
        review_id = _registry.add_review(
            s, masklet_id=masklet_id, revision=revision, reviewer=reviewer, verdict=verdict,
            corrected_revision=corrected, frames_edited=frames_edited, clicks=clicks, seconds=seconds,
            external_id=external_id, actor=actor, role=role)
        _masklets.set_status(s, masklet_id, new_status, actor=actor, role=role)
        return review_id, True


def add_refinement(catalog: Catalog, masklet_id: int, *, revised: GeneratedMasklet, expect_revision: int,
                   actor: str, role: str) -> int | None:
    """New revision (source ``refinement``) + status ``in_review`` in one transaction; returns the
    revision number, or None when the masklet is no longer at ``expect_revision`` / ``needs_fix``
    (another run refined it already)."""
    check_writer(actor, role)
    with catalog.session(f"refining masklet {masklet_id}") as s:
        row = _masklets._masklet(s, masklet_id, lock=True)
        if row.status != MaskletStatus.NEEDS_FIX or row.current_revision != int(expect_revision):
            return None
        rev = _masklets.add_revision(s, masklet_id, blob_key=revised.blob_key, blob_sha256=revised.blob_sha256,
                                     frame_indices=list(revised.frame_indices), scores=list(revised.scores),
                                     source="refinement", actor=actor, role=role)
        _masklets.set_status(s, masklet_id, MaskletStatus.IN_REVIEW, actor=actor, role=role)
        return rev


def review_external_ids(catalog: Catalog, round_id: int) -> set[str]:
    """External ids of every stored review of the round's masklets (what a sync has seen)."""
    return {str(e) for e in round_reviews(catalog, round_id)["external_id"] if e is not None}


def generated_videos(catalog: Catalog, round_id: int) -> set[int]:
    """Videos whose generation finished in this round (a ``round.generated`` event exists)."""
    with catalog.session(f"reading generation events of round {round_id}") as s:
        rows = s.execute(sa.select(AuditEvent.details).where(
            AuditEvent.action == "round.generated", AuditEvent.entity == f"annotation_round:{round_id}")).scalars()
        return {int(json.loads(d)["video_id"]) for d in rows}


def round_masklets(catalog: Catalog, round_id: int) -> pd.DataFrame:
    """Masklets of a round with their current revision (columns ``MASKLET_COLUMNS``)."""
    frame = catalog.list_masklets()
    return frame[frame["round_id"] == int(round_id)].reset_index(drop=True)


REVIEW_COLUMNS = ["review_id", "masklet_id", "origin", "revision", "reviewer", "verdict", "corrected_revision",
                  "frames_edited", "clicks", "seconds", "external_id", "created_at"]


def round_reviews(catalog: Catalog, round_id: int) -> pd.DataFrame:
    """Every review of the round's masklets (effort per round); columns :data:`REVIEW_COLUMNS`."""
    import pandas as pd  # imported on use: the catalog's writers (flow runs) never need it

    with catalog.session(f"reading reviews of round {round_id}") as s:
        rows = s.execute(
            sa.select(Review.id, Review.masklet_id, Masklet.origin, Review.revision, Review.reviewer, Review.verdict,
                      Review.corrected_revision, Review.frames_edited, Review.clicks, Review.seconds,
                      Review.external_id, Review.created_at)
            .join(Masklet, Masklet.id == Review.masklet_id)
            .where(Masklet.round_id == int(round_id)).order_by(Review.id)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=REVIEW_COLUMNS)


def round_events(catalog: Catalog, round_id: int) -> pd.DataFrame:
    """Status changes of a round: columns at, from, to (oldest first)."""
    import pandas as pd  # imported on use: the catalog's writers (flow runs) never need it

    with catalog.session(f"reading the history of round {round_id}") as s:
        rows = s.execute(sa.select(AuditEvent.at, AuditEvent.action, AuditEvent.details).where(
            AuditEvent.entity == f"annotation_round:{round_id}").order_by(AuditEvent.id)).all()
    out = [(at, "created", "created") if action == "round.create" else (at, json.loads(d)["from"], json.loads(d)["to"])
           for at, action, d in rows if action in ("round.create", "round.status")]
    return pd.DataFrame(out, columns=["at", "from", "to"])


def video_splits(catalog: Catalog, dataset: str) -> dict[int, str]:
    """Stored (frozen) split of each video of ``dataset`` that entered a version."""
    with catalog.session(f"reading splits of {dataset!r}") as s:
        rows = s.execute(sa.select(VideoSplit.video_id, VideoSplit.split).join(Video, Video.id == VideoSplit.video_id)
                         .join(Dataset, Dataset.id == Video.dataset_id).where(Dataset.name == dataset)).all()
    return {int(v): str(sp) for v, sp in rows}


def accepted_since_last_version(catalog: Catalog, dataset: str) -> int:
    """Accepted masklets (not ground truth) changed since the dataset's newest version (dirty)."""
    with catalog.session(f"counting new accepted masklets of {dataset!r}") as s:
        return int(s.execute(
            sa.select(sa.func.count(Masklet.id)).join(Video, Video.id == Masklet.video_id)
            .join(Dataset, Dataset.id == Video.dataset_id)
            .where(Dataset.name == dataset, Masklet.status == MaskletStatus.ACCEPTED, Masklet.dirty.is_(True),
                   Masklet.origin != "ground_truth")).scalar())
