"""Shared pieces of the lineage queries (foreign keys only; no second bookkeeping).

Every lineage function returns one long DataFrame with :data:`LINEAGE_COLUMNS`:
``relation`` (what the row is to the subject: "video", "revision", "review", "dataset_version",
"training_run", "model", ...), ``entity`` (``table:id``), ``name`` (human label), ``at`` (UTC time
of the entity), ``actor`` (who made it) and ``details`` (JSON text, so table/CSV/JSON all work).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from storage.audit.chain import canonical_json

LINEAGE_COLUMNS = ["relation", "entity", "name", "at", "actor", "details"]

# Models trained (directly or by fine-tuning, recursively) on any of the given dataset versions.
_DOWNSTREAM_MODELS_SQL = sa.text(
    """
    WITH RECURSIVE derived(model_id, run_id, depth) AS (
        SELECT mv.id, tr.id, 0
        FROM training_run tr JOIN model_version mv ON mv.training_run_id = tr.id
        WHERE tr.dataset_version_id IN :version_ids
        UNION
        SELECT mv2.id, tr2.id, d.depth + 1
        FROM derived d
        JOIN training_run tr2 ON tr2.base_model_version_id = d.model_id
        JOIN model_version mv2 ON mv2.training_run_id = tr2.id
        WHERE d.depth < 64
    )
    SELECT mv.id, mv.name, mv.version, mv.backend, mv.uri, mv.created_at, mv.created_by,
           MIN(d.depth) AS depth, MIN(d.run_id) AS run_id
    FROM derived d JOIN model_version mv ON mv.id = d.model_id
    GROUP BY mv.id, mv.name, mv.version, mv.backend, mv.uri, mv.created_at, mv.created_by
    ORDER BY MIN(d.depth), mv.id
    """
).bindparams(sa.bindparam("version_ids", expanding=True))

_RUNS_SQL = sa.text(
    """
    SELECT tr.id, tr.mlflow_run_id, tr.status, tr.created_at, tr.created_by, tr.base_model_version_id,
           dv.number, ds.name
    FROM training_run tr JOIN dataset_version dv ON dv.id = tr.dataset_version_id
    JOIN dataset ds ON ds.id = dv.dataset_id
    WHERE tr.dataset_version_id IN :version_ids ORDER BY tr.id
    """
).bindparams(sa.bindparam("version_ids", expanding=True))


def row(relation: str, entity: str, name: str, at: object = None, actor: str | None = None,
        **details: object) -> tuple:
    return (relation, entity, name, at, actor, canonical_json(details))


def frame(rows: Iterable[tuple]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=LINEAGE_COLUMNS)


def runs_and_models(session: Session, version_ids: list[int]) -> list[tuple]:
    """Lineage rows of the training runs on ``version_ids`` and every model derived from them."""
    if not version_ids:
        return []
    out = []
    for r in session.execute(_RUNS_SQL, {"version_ids": version_ids}).all():
        out.append(row("training_run", f"training_run:{r.id}", r.mlflow_run_id or f"run {r.id}", r.created_at,
                       r.created_by, dataset_version=f"{r.name}@{r.number}", status=r.status,
                       base_model_version_id=r.base_model_version_id))
    for m in session.execute(_DOWNSTREAM_MODELS_SQL, {"version_ids": version_ids}).all():
        out.append(row("model", f"model_version:{m.id}", f"{m.name}@{m.version}", m.created_at, m.created_by,
                       backend=m.backend, uri=m.uri, training_run_id=m.run_id, fine_tune_depth=m.depth))
    return out


_MEMBERSHIP_SQL = """
    WITH ch AS (
        SELECT c.masklet_id, c.op, mr.rev, v.number, v.dataset_id
        FROM dataset_version_change c
        JOIN masklet m ON m.id = c.masklet_id
        JOIN dataset_version v ON v.id = c.version_id
        JOIN masklet_revision mr ON mr.id = c.revision_id
        WHERE {where}
    )
    SELECT v.id, v.number, v.created_at, v.created_by, d.name, ch.masklet_id, ch.op, ch.rev
    FROM dataset_version v
    JOIN dataset d ON d.id = v.dataset_id
    LEFT JOIN ch ON ch.number = v.number AND ch.dataset_id = v.dataset_id
    WHERE v.dataset_id = (SELECT MIN(dataset_id) FROM ch) AND v.number >= (SELECT MIN(number) FROM ch)
    ORDER BY v.number
"""
_MEMBERSHIP_BY = {
    "video": sa.text(_MEMBERSHIP_SQL.format(where="m.video_id = :subject")),
    "masklet": sa.text(_MEMBERSHIP_SQL.format(where="c.masklet_id = :subject")),
}


def member_versions(session: Session, *, video_id: int | None = None, masklet_id: int | None = None) -> list[tuple]:
    """Versions from the first that took a masklet of the subject (one video, or one masklet) on:
    ``(version id, dataset, number, created_at, created_by, {masklet_id: revision})`` where the dict
    holds the subject's masklets that are members of that version. One query."""
    kind, subject = ("video", video_id) if video_id is not None else ("masklet", masklet_id)
    rows = session.execute(_MEMBERSHIP_BY[kind], {"subject": int(subject)}).all()
    out: list[tuple] = []
    members: dict[int, int] = {}
    current: tuple | None = None
    for r in rows:
        if current is not None and current[0] != r.id:
            out.append((*current, dict(members)))
        current = (r.id, r.name, r.number, r.created_at, r.created_by)
        if r.masklet_id is not None:
            if r.op == "remove":
                members.pop(r.masklet_id, None)
            else:
                members[r.masklet_id] = r.rev
    if current is not None:
        out.append((*current, dict(members)))
    return out
