"""SQLModel tables of the catalog (DESIGN.md "Catalog"). Schema changes go through Alembic.

Times are timezone-aware UTC. JSON payloads (frame indices, scores, params, metrics, audit details)
are stored as canonical JSON text so they hash and compare identically on PostgreSQL and SQLite.
Immutable on PostgreSQL (triggers from the migration): masklet_revision, review, dataset_version,
dataset_version_change, video_split, audit_event.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.records import MaskletOrigin, MaskletStatus, Verdict

ORIGINS = tuple(MaskletOrigin)
STATUSES = tuple(MaskletStatus)
VERDICTS = tuple(Verdict)
SOURCES = ("model", "reviewer", "refinement", "import")
SPLITS = ("train", "val", "test")
CHANGE_OPS = ("add", "update", "remove")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts() -> sa.Column:
    return sa.Column(sa.DateTime(timezone=True), nullable=False)


def _check(column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=f"ck_{column}_allowed")


class Dataset(SQLModel, table=True):
    __tablename__ = "dataset"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True, index=True)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Video(SQLModel, table=True):
    """A de-identified video: no source path, no container metadata."""

    __tablename__ = "video"
    __table_args__ = (sa.UniqueConstraint("dataset_id", "sha256", name="uq_video_dataset_sha256"),)
    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True)
    sha256: str = Field(max_length=64, index=True)
    frames_prefix: str = Field(max_length=300)  # object-key prefix of the sampled JPEG frames
    n_frames: int
    width: int
    height: int
    fps: float  # sampled frames per second
    source_fps: float
    sampling_stride: float  # source frames per stored frame
    codec: str = Field(max_length=50)
    source_frame_indices: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # JSON list
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class ModelVersion(SQLModel, table=True):
    __tablename__ = "model_version"
    __table_args__ = (sa.UniqueConstraint("name", "version", name="uq_model_name_version"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    version: int
    backend: str = Field(max_length=50)
    uri: str = Field(max_length=1000)
    sha256: str | None = Field(default=None, max_length=64)
    aliases: str = Field(default="[]", sa_column=sa.Column(sa.Text, nullable=False))  # JSON list
    training_run_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("training_run.id", use_alter=True, name="fk_model_training_run"),
            nullable=True, index=True,
        ),
    )
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class AnnotationRound(SQLModel, table=True):
    __tablename__ = "annotation_round"
    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True)
    model_version_id: int | None = Field(default=None, foreign_key="model_version.id")
    budget: int | None = None
    status: str = Field(default="open", max_length=30)
    label_studio_project_id: int | None = None
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Masklet(SQLModel, table=True):
    """A tracked object in one video. ``dirty`` marks it for the next dataset commit."""

    __tablename__ = "masklet"
    __table_args__ = (
        _check("origin", ORIGINS),
        _check("status", STATUSES),
        sa.Index("ix_masklet_dirty", "id", postgresql_where=sa.text("dirty = true"), sqlite_where=sa.text("dirty = 1")),
    )
    id: int | None = Field(default=None, primary_key=True)
    video_id: int = Field(foreign_key="video.id", index=True)
    round_id: int | None = Field(default=None, foreign_key="annotation_round.id", index=True)
    origin: str = Field(max_length=20)
    generator_model_version_id: int | None = Field(default=None, foreign_key="model_version.id", index=True)
    generator_params_hash: str | None = Field(default=None, max_length=64)
    status: str = Field(max_length=20, index=True)
    current_revision: int = 1
    committed_revision: int | None = None  # revision in the dataset's newest version; None: not a member
    dirty: bool = Field(default=True)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class MaskletRevision(SQLModel, table=True):
    """One immutable revision: its per-frame COCO RLE blob lives in the object store."""

    __tablename__ = "masklet_revision"
    __table_args__ = (
        sa.UniqueConstraint("masklet_id", "rev", name="uq_revision_masklet_rev"),
        _check("source", SOURCES),
    )
    id: int | None = Field(default=None, primary_key=True)
    masklet_id: int = Field(foreign_key="masklet.id", index=True)
    rev: int
    blob_key: str = Field(max_length=300)
    blob_sha256: str = Field(max_length=64)
    frame_start: int
    frame_end: int  # inclusive
    frame_indices: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # JSON list[int]
    scores: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # JSON list[float]
    source: str = Field(max_length=20)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Review(SQLModel, table=True):
    __tablename__ = "review"
    __table_args__ = (_check("verdict", VERDICTS),)
    id: int | None = Field(default=None, primary_key=True)
    masklet_id: int = Field(foreign_key="masklet.id", index=True)
    revision: int  # the revision number that was reviewed
    reviewer: str = Field(max_length=200)
    verdict: str = Field(max_length=20)
    corrected_revision: int | None = None
    frames_edited: int = 0
    clicks: int = 0
    seconds: float = 0.0
    external_id: str | None = Field(default=None, max_length=200, unique=True)
    regions_changed: int = 0  # brush regions drawn or changed (Label Studio); migration 0004
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class DatasetVersion(SQLModel, table=True):
    __tablename__ = "dataset_version"
    __table_args__ = (sa.UniqueConstraint("dataset_id", "number", name="uq_version_dataset_number"),)
    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="dataset.id", index=True)
    number: int
    parent_id: int | None = Field(default=None, foreign_key="dataset_version.id")
    manifest_key: str = Field(max_length=300)
    manifest_sha256: str = Field(max_length=64)
    n_members: int
    n_added: int
    n_updated: int
    n_removed: int
    composition: str = Field(default="{}", sa_column=sa.Column(sa.Text, nullable=False))  # JSON {split: {origin: n}}
    message: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class DatasetVersionChange(SQLModel, table=True):
    """Membership delta of a version against its parent: one row per changed masklet."""

    __tablename__ = "dataset_version_change"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "masklet_id", name="uq_change_version_masklet"),
        _check("op", CHANGE_OPS),
    )
    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="dataset_version.id", index=True)
    masklet_id: int = Field(foreign_key="masklet.id", index=True)
    revision_id: int = Field(foreign_key="masklet_revision.id", index=True)
    op: str = Field(max_length=10)


class VideoSplit(SQLModel, table=True):
    """Split of a video, fixed the first time one of its masklets enters a version."""

    __tablename__ = "video_split"
    __table_args__ = (_check("split", SPLITS),)
    video_id: int = Field(foreign_key="video.id", primary_key=True)
    split: str = Field(max_length=10)
    version_id: int = Field(foreign_key="dataset_version.id")


class TrainingRun(SQLModel, table=True):
    __tablename__ = "training_run"
    id: int | None = Field(default=None, primary_key=True)
    mlflow_run_id: str | None = Field(default=None, max_length=100, unique=True)
    dataset_version_id: int = Field(foreign_key="dataset_version.id", index=True)
    base_model_version_id: int | None = Field(default=None, foreign_key="model_version.id", index=True)
    params: str = Field(default="{}", sa_column=sa.Column(sa.Text, nullable=False))  # JSON
    metrics: str = Field(default="{}", sa_column=sa.Column(sa.Text, nullable=False))  # JSON
    status: str = Field(default="running", max_length=20)
    created_by: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class AuditEvent(SQLModel, table=True):
    """Append-only, hash-chained: ``hash = sha256(canonical JSON of the row incl. prev_hash)``."""

    __tablename__ = "audit_event"
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_column=_ts())
    actor: str = Field(max_length=200, index=True)
    role: str = Field(max_length=50)
    action: str = Field(max_length=100, index=True)
    entity: str = Field(max_length=200, index=True)
    details: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # canonical JSON
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


from storage.catalog.api_token_table import ApiToken  # noqa: F401  (registers api_token on the metadata)
