"""Pydantic response models of the auditor API (what /openapi.json describes).

Times are UTC ISO-8601. Lineage rows mirror ``storage.lineage.common.LINEAGE_COLUMNS`` with
``details`` parsed into an object (the CSV rendering keeps it as JSON text).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErrorOut(_Frozen):
    """Every 4xx/5xx body: ``detail`` says what went wrong and what to do."""

    detail: str


class LineageRow(_Frozen):
    relation: str = Field(description="What the row is to the subject: video, revision, review, model, ...")
    entity: str = Field(description="table:id of the entity")
    name: str = Field(description="Human label")
    at: datetime | None = Field(None, description="When the entity was made (UTC)")
    actor: str | None = Field(None, description="Who made it")
    details: dict[str, Any] = Field(default_factory=dict)


class LineageOut(_Frozen):
    subject: str = Field(description="What was traced, e.g. masklet:42, video:3, model seg@2")
    rows: list[LineageRow]


class DatasetVersionOut(_Frozen):
    number: int
    parent_number: int | None = None
    n_members: int
    n_added: int
    n_updated: int
    n_removed: int
    manifest_sha256: str
    created_by: str
    created_at: datetime
    message: str


class DatasetVersionsOut(_Frozen):
    dataset: str
    versions: list[DatasetVersionOut]


class DatasetVersionDetailOut(_Frozen):
    dataset: str
    version: DatasetVersionOut
    lineage: list[LineageRow] = Field(description="Videos, composition, reviewers, runs and models of it")


class DiffRow(_Frozen):
    masklet_id: int
    change: str = Field(description="added, removed or changed (another revision)")
    revision_a: int | None = None
    revision_b: int | None = None
    video_id: int
    split: str
    origin: str


class DiffOut(_Frozen):
    dataset: str
    version_from: int
    version_to: int
    changes: list[DiffRow]


class AuditEventOut(_Frozen):
    id: int
    at: datetime
    actor: str
    role: str
    action: str
    entity: str
    details: dict[str, Any] | list[Any] | str | int | float | bool | None
    prev_hash: str
    hash: str


class AuditEventsOut(_Frozen):
    events: list[AuditEventOut] = Field(description="Oldest first")
    next_cursor: int | None = Field(None, description="Pass as ?cursor= for the next page; null: no more")


class AuditVerifyOut(_Frozen):
    ok: bool
    n_events: int
    head_hash: str = Field(description="Hash of the newest event; keep it to detect later truncation")
    first_broken_id: int | None = None
    problem: str | None = None
