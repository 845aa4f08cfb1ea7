"""Model versions, training runs, annotation rounds and reviews inside a session."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlmodel import Session

from storage.audit.chain import canonical_json
from storage.audit.trail import append_event
from storage.catalog.masklets import _masklet, check_choice
from storage.catalog.refs import check_name
from storage.catalog.tables import VERDICTS, AnnotationRound, ModelVersion, Review, TrainingRun
from storage.catalog.videos import check_sha256, dataset_id
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


def register_model(session: Session, *, name: str, backend: str, uri: str, sha256: str | None,
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


def add_training_run(session: Session, *, dataset_version_id: int, base_model_version_id: int | None,
                     mlflow_run_id: str | None, params: dict, actor: str, role: str) -> int:
    row = TrainingRun(dataset_version_id=dataset_version_id, base_model_version_id=base_model_version_id,
                      mlflow_run_id=mlflow_run_id, params=canonical_json(params), created_by=actor)
    session.add(row)
    session.flush()
    append_event(session, actor=actor, role=role, action="training_run.create", entity=f"training_run:{row.id}",
                 details={"dataset_version_id": dataset_version_id, "mlflow_run_id": mlflow_run_id,
                          "base_model_version_id": base_model_version_id, "params": params})
    return int(row.id)


def finish_training_run(session: Session, run_id: int, *, status: str, metrics: dict, actor: str, role: str) -> None:
    check_choice(status, ("finished", "failed"), "training run status")
    row = session.get(TrainingRun, int(run_id), with_for_update=True)
    if row is None:
        raise NotFoundError(f"training run {run_id} not found")
    row.status, row.metrics = status, canonical_json(metrics)
    session.add(row)
    append_event(session, actor=actor, role=role, action="training_run.finish", entity=f"training_run:{row.id}",
                 details={"status": status, "metrics": metrics})


def create_round(session: Session, *, dataset: str, model_version_id: int | None, budget: int | None,
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


def add_review(session: Session, *, masklet_id: int, revision: int, reviewer: str, verdict: str,
               corrected_revision: int | None, frames_edited: int, clicks: int, seconds: float,
               external_id: str | None, actor: str, role: str, regions_changed: int = 0) -> int:
    """Insert a review; with an ``external_id`` seen before, return the stored review (idempotent sync)."""
    check_choice(verdict, VERDICTS, "verdict")
    if min(frames_edited, clicks, regions_changed) < 0 or seconds < 0:
        raise InvalidInputError("frames_edited, clicks, regions_changed and seconds must not be negative")
    if external_id is not None:
        found = session.execute(sa.select(Review.id).where(Review.external_id == external_id)).scalar_one_or_none()
        if found is not None:
            return int(found)
    masklet = _masklet(session, masklet_id)
    if not 1 <= int(revision) <= masklet.current_revision:
        raise InvalidInputError(f"masklet {masklet_id} has no revision {revision}")
    row = Review(masklet_id=int(masklet_id), revision=int(revision), reviewer=reviewer, verdict=verdict,
                 corrected_revision=corrected_revision, frames_edited=frames_edited, clicks=clicks,
                 seconds=float(seconds), external_id=external_id, regions_changed=int(regions_changed))
    session.add(row)
    session.flush()
    append_event(session, actor=actor, role=role, action="review.add", entity=f"review:{row.id}",
                 details={"masklet_id": int(masklet_id), "revision": int(revision), "reviewer": reviewer,
                          "verdict": verdict, "corrected_revision": corrected_revision,
                          "frames_edited": frames_edited, "clicks": clicks, "seconds": float(seconds),
                          "external_id": external_id}
                 | ({"regions_changed": int(regions_changed)} if regions_changed else {}))
    return int(row.id)
