"""Annotation rounds: their state, plan, masklets and history (the cycle's catalog side).

Functions take the :class:`~storage.catalog.catalog.Catalog` and run each write in one
transaction with its audit event, like the rest of the catalog (``create_round_in_session`` does
it inside a caller's session). Round states
(:class:`~storage.records.RoundStatus`)::

    created -> generating -> in_review <-> refining -> closed

(``open``, the table's default, reads as ``created``.) A round's other components have their own
modules: generation.py (proposals, idempotent per key), reviews.py, refinement.py and splits.py;
model aliases live in model_aliases.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session

from storage.audit.trail import append_event
from storage.catalog.catalog import Catalog
from storage.catalog.guard import check_writer
from storage.catalog.masklets import list_masklets
from storage.catalog.tables import AnnotationRound, AuditEvent, Dataset, Masklet
from storage.catalog.videos import dataset_id
from storage.errors import ConflictError, InvalidInputError, NotFoundError
from storage.records import RoundStatus

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


def _status(raw: str) -> RoundStatus:
    return RoundStatus.CREATED if raw == "open" else RoundStatus(raw)


def _info(row: AnnotationRound, dataset: str) -> RoundInfo:
    return RoundInfo(id=int(row.id), dataset=dataset, status=_status(row.status), model_version_id=row.model_version_id,
                     budget=row.budget, label_studio_project_id=row.label_studio_project_id,
                     created_by=row.created_by, created_at=row.created_at)


def create_round_in_session(session: Session, *, dataset: str, model_version_id: int | None, budget: int | None,
                            label_studio_project_id: int | None, actor: str, role: str) -> int:
    ds_id = dataset_id(session, dataset)
    if budget is not None and budget < 1:
        raise InvalidInputError("a round budget must be at least 1 masklet")
    row = AnnotationRound(dataset_id=ds_id, model_version_id=model_version_id, budget=budget,
                          label_studio_project_id=label_studio_project_id, created_by=actor)
    session.add(row)
    session.flush()
    append_event(session, actor=actor, role=role, action="round.create", entity=f"annotation_round:{row.id}",
                 details={"dataset": dataset, "model_version_id": model_version_id, "budget": budget,
                          "label_studio_project_id": label_studio_project_id})
    return int(row.id)


def create_round(catalog: Catalog, *, dataset: str, actor: str, role: str, model_version_id: int | None = None,
                 budget: int | None = None, label_studio_project_id: int | None = None) -> int:
    return catalog.write("creating an annotation round", actor, role, lambda s: create_round_in_session(
        s, dataset=dataset, model_version_id=model_version_id, budget=budget,
        label_studio_project_id=label_studio_project_id, actor=actor, role=role))


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


def round_masklets(catalog: Catalog, round_id: int) -> pd.DataFrame:
    """Masklets of a round with their current revision (columns ``MASKLET_COLUMNS``)."""
    frame = list_masklets(catalog)
    return frame[frame["round_id"] == int(round_id)].reset_index(drop=True)


def round_events(catalog: Catalog, round_id: int) -> pd.DataFrame:
    """Status changes of a round: columns at, from, to (oldest first)."""
    import pandas as pd  # imported on use: the catalog's writers (flow runs) never need it

    with catalog.session(f"reading the history of round {round_id}") as s:
        rows = s.execute(sa.select(AuditEvent.at, AuditEvent.action, AuditEvent.details).where(
            AuditEvent.entity == f"annotation_round:{round_id}").order_by(AuditEvent.id)).all()
    out = [(at, "created", "created") if action == "round.create" else (at, json.loads(d)["from"], json.loads(d)["to"])
           for at, action, d in rows if action in ("round.create", "round.status")]
    return pd.DataFrame(out, columns=["at", "from", "to"])
