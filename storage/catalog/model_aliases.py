"""Model versions for the cycle: aliases (the champion), promotion decisions, training runs.

Aliases are the catalog's ``model_version.aliases`` (JSON list); moving one is audited as
``model.alias`` with the caller's details (e.g. the promotion decision and both J&F scores).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa

from storage.audit.trail import append_event
from storage.catalog.catalog import Catalog
from storage.catalog.guard import check_writer
from storage.catalog.tables import ModelVersion, TrainingRun
from storage.errors import NotFoundError
from storage.records import ModelRef

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class ModelInfo:
    """A registered model version with its catalog id, aliases and training run."""

    id: int
    ref: ModelRef
    aliases: tuple[str, ...]
    training_run_id: int | None
    created_at: datetime


def list_models(catalog: Catalog, name: str | None = None) -> list[ModelInfo]:
    """Registered model versions (of ``name``, or all), by name then version."""
    with catalog.session("listing models") as s:
        query = sa.select(ModelVersion).order_by(ModelVersion.name, ModelVersion.version)
        if name is not None:
            query = query.where(ModelVersion.name == name)
        return [ModelInfo(id=int(r.id), ref=ModelRef(r.name, r.version, r.backend, r.uri, r.sha256),
                          aliases=tuple(json.loads(r.aliases)), training_run_id=r.training_run_id,
                          created_at=r.created_at) for r in s.execute(query).scalars()]


def model_by_alias(catalog: Catalog, name: str, alias: str) -> ModelInfo | None:
    """The version of ``name`` holding ``alias``, or None."""
    for info in list_models(catalog, name):
        if alias in info.aliases:
            return info
    return None


def model_by_id(catalog: Catalog, model_version_id: int) -> ModelInfo:
    for info in list_models(catalog):
        if info.id == int(model_version_id):
            return info
    raise NotFoundError(f"model version id {model_version_id} not found")


def move_alias(catalog: Catalog, *, name: str, version: int, alias: str, actor: str, role: str,
               details: dict) -> None:
    """Give ``alias`` to ``name@version`` (taking it from any other version), audited as
    ``model.alias`` with ``details`` (e.g. the promotion decision and both scores)."""
    check_writer(actor, role)
    with catalog.session(f"moving alias {alias} of {name}") as s:
        rows = s.execute(sa.select(ModelVersion).where(ModelVersion.name == name).with_for_update()).scalars().all()
        target = next((r for r in rows if r.version == int(version)), None)
        if target is None:
            raise NotFoundError(f"model {name}@{version} not found; `maskloop model list` shows registered models")
        previous = None
        for r in rows:
            aliases = set(json.loads(r.aliases))
            if r.id == target.id:
                aliases.add(alias)
            elif alias in aliases:
                previous = r.version
                aliases.discard(alias)
            s.execute(sa.update(ModelVersion).where(ModelVersion.id == r.id).values(aliases=json.dumps(sorted(aliases))))
        append_event(s, actor=actor, role=role, action="model.alias", entity=f"model_version:{target.id}",
                     details={"name": name, "alias": alias, "version": int(version), "previous_version": previous,
                              **details})


def record_decision(catalog: Catalog, *, model_version_id: int, actor: str, role: str, details: dict) -> None:
    """Audit a promotion decision that did not move the alias (``model.promotion_decision``)."""
    check_writer(actor, role)
    with catalog.session("recording a promotion decision") as s:
        append_event(s, actor=actor, role=role, action="model.promotion_decision",
                     entity=f"model_version:{model_version_id}", details=details)


def training_runs(catalog: Catalog) -> pd.DataFrame:
    """Training runs: id, mlflow_run_id, dataset_version_id, base_model_version_id, params, metrics, status."""
    import pandas as pd  # not at module level: flow runs that only read the champion skip 0.3 s of import

    with catalog.session("listing training runs") as s:
        rows = s.execute(sa.select(TrainingRun).order_by(TrainingRun.id)).scalars().all()
    return pd.DataFrame([(r.id, r.mlflow_run_id, r.dataset_version_id, r.base_model_version_id, json.loads(r.params),
                          json.loads(r.metrics), r.status) for r in rows],
                        columns=["id", "mlflow_run_id", "dataset_version_id", "base_model_version_id", "params",
                                 "metrics", "status"])


def record_evaluation(catalog: Catalog, *, model_version_id: int, dataset_version: str, val_digest: str,
                      scores: dict, actor: str, role: str) -> None:
    """Audit a model's validation scores on a version's val set (``model.evaluation``)."""
    check_writer(actor, role)
    with catalog.session("recording an evaluation") as s:
        append_event(s, actor=actor, role=role, action="model.evaluation", entity=f"model_version:{model_version_id}",
                     details={"dataset_version": dataset_version, "val_digest": val_digest, "scores": scores})


def find_evaluation(catalog: Catalog, *, model_version_id: int, val_digest: str) -> dict | None:
    """The latest recorded scores of a model on the val set with this digest, or None."""
    from storage.catalog.tables import AuditEvent

    with catalog.session("reading evaluations") as s:
        rows = s.execute(sa.select(AuditEvent.details).where(
            AuditEvent.action == "model.evaluation", AuditEvent.entity == f"model_version:{model_version_id}")
            .order_by(AuditEvent.id.desc())).scalars().all()
    for raw in rows:
        details = json.loads(raw)
        if details.get("val_digest") == val_digest:
            return dict(details["scores"])
    return None
