"""Model versions and training runs: reads and writes of a :class:`~storage.catalog.catalog.Catalog`.

The public functions take the Catalog first and run in their own transaction (each write with its
audit event); the ``*_in_session`` ones, :func:`model_row` and :func:`model_ref` work inside a
caller's session. A round's creation is in rounds.py, a review's in reviews.py.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlmodel import Session

from storage.audit.chain import canonical_json
from storage.audit.trail import append_event
from storage.catalog.catalog import Catalog
from storage.catalog.masklets import check_choice
from storage.catalog.refs import check_name, version_row
from storage.catalog.tables import ModelVersion, TrainingRun
from storage.catalog.videos import check_sha256
from storage.errors import InvalidInputError, NotFoundError
from storage.records import ModelRef


def model_ref(row: ModelVersion) -> ModelRef:
    return ModelRef(name=row.name, version=row.version, backend=row.backend, uri=row.uri, sha256=row.sha256)


def model_row(session: Session, name: str, version: int) -> ModelVersion:
    row = session.execute(
        sa.select(ModelVersion).where(ModelVersion.name == name, ModelVersion.version == int(version))
    ).scalar_one_or_none()
    if row is None:
        raise NotFoundError(f"model {name}@{version} not found; `maskloop model list` shows registered models")
    return row


def register_model_in_session(session: Session, *, name: str, backend: str, uri: str, sha256: str | None,
                              training_run_id: int | None, version: int | None, aliases: tuple[str, ...],
                              actor: str, role: str) -> tuple[int, ModelRef]:
    check_name(name, what="model")
    if sha256 is not None:
        check_sha256(sha256, what="model sha256")
    if training_run_id is not None and session.get(TrainingRun, int(training_run_id)) is None:
        raise NotFoundError(f"training run {training_run_id} not found")
    if version is None:
        last = session.execute(sa.select(sa.func.max(ModelVersion.version)).where(ModelVersion.name == name)).scalar()
        version = int(last or 0) + 1
    if version < 1:
        raise InvalidInputError("model versions start at 1")
    row = ModelVersion(name=name, version=version, backend=backend, uri=uri, sha256=sha256,
                       aliases=json.dumps(sorted(aliases)), training_run_id=training_run_id, created_by=actor)
    session.add(row)
    session.flush()
    append_event(session, actor=actor, role=role, action="model.register", entity=f"model_version:{row.id}",
                 details={"name": name, "version": version, "backend": backend, "uri": uri, "sha256": sha256,
                          "training_run_id": training_run_id})
    return int(row.id), model_ref(row)


def add_training_run_in_session(session: Session, *, dataset_version_id: int, base_model_version_id: int | None,
                                mlflow_run_id: str | None, params: dict, actor: str, role: str) -> int:
    row = TrainingRun(dataset_version_id=dataset_version_id, base_model_version_id=base_model_version_id,
                      mlflow_run_id=mlflow_run_id, params=canonical_json(params), created_by=actor)
    session.add(row)
    session.flush()
    append_event(session, actor=actor, role=role, action="training_run.create", entity=f"training_run:{row.id}",
                 details={"dataset_version_id": dataset_version_id, "mlflow_run_id": mlflow_run_id,
                          "base_model_version_id": base_model_version_id, "params": params})
    return int(row.id)


def finish_training_run_in_session(session: Session, run_id: int, *, status: str, metrics: dict, actor: str, role: str) -> None:
    check_choice(status, ("finished", "failed"), "training run status")
    row = session.get(TrainingRun, int(run_id), with_for_update=True)
    if row is None:
        raise NotFoundError(f"training run {run_id} not found")
    row.status, row.metrics = status, canonical_json(metrics)
    session.add(row)
    append_event(session, actor=actor, role=role, action="training_run.finish", entity=f"training_run:{row.id}",
                 details={"status": status, "metrics": metrics})


def register_model(catalog: Catalog, *, name: str, backend: str, uri: str, actor: str, role: str,
                   sha256: str | None = None, training_run_id: int | None = None,
                   version: int | None = None, aliases: tuple[str, ...] = ()) -> tuple[int, ModelRef]:
    """Register ``name`` at ``version`` (default: next number); returns (model_version id, ref)."""
    return catalog.write(f"registering model {name}", actor, role, lambda s: register_model_in_session(
        s, name=name, backend=backend, uri=uri, sha256=sha256, training_run_id=training_run_id,
        version=version, aliases=aliases, actor=actor, role=role), retries=3)


def model_version_id(catalog: Catalog, name: str, version: int) -> int:
    with catalog.session(f"reading model {name}@{version}") as s:
        return int(model_row(s, name, version).id)


def add_training_run(catalog: Catalog, *, dataset_version: str, actor: str, role: str,
                     base_model_version_id: int | None = None, mlflow_run_id: str | None = None,
                     params: dict | None = None) -> int:
    """Record a training run on ``NAME@N``; returns its id."""
    def run(s: Session) -> int:
        row, _ = version_row(s, dataset_version)
        return add_training_run_in_session(s, dataset_version_id=int(row.id), mlflow_run_id=mlflow_run_id,
                                           base_model_version_id=base_model_version_id, params=params or {},
                                           actor=actor, role=role)
    return catalog.write("recording a training run", actor, role, run)


def finish_training_run(catalog: Catalog, run_id: int, *, status: str, metrics: dict, actor: str,
                        role: str) -> None:
    catalog.write(f"finishing training run {run_id}", actor, role, lambda s: finish_training_run_in_session(
        s, run_id, status=status, metrics=metrics, actor=actor, role=role))
