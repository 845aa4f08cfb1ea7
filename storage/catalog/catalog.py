"""The :class:`Catalog`: the catalog's connection and the reads and writes of its core records.

A Catalog holds one SQLAlchemy engine (a connection pool), is safe to share between threads, and
runs each write in its own transaction with its audit event in that same transaction. Its methods
cover the core records (datasets, videos, masklets, model versions and training runs, dataset
versions, the audit trail). The annotation cycle's components are module functions that take a
Catalog first, one module each: rounds, generation, reviews, refinement, splits, model_aliases
(and storage.lineage for lineage queries). Folding the methods into those modules, so that other
layers see one kind of surface, is not done yet.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Self, TypeVar

import sqlalchemy.exc as sa_exc
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.catalog import masklets as _masklets
from storage.catalog import registry as _registry
from storage.catalog import videos as _videos
from storage.catalog.engine import check_reachable, make_engine
from storage.catalog.guard import check_writer, db_errors
from storage.errors import ConflictError, StorageError, UnavailableError
from storage.records import AuditCheck, DatasetVersionRef, ModelRef, NewVideo, VideoRef

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")
_RETRY_SQLSTATES = {"40001", "40P01", "23505"}  # serialization failure, deadlock, unique violation


class NothingToCommitError(ConflictError):
    """No accepted masklet changed since the dataset's newest version; no version was made."""


def _retryable(exc: StorageError) -> bool:
    cause = exc.__cause__
    return isinstance(cause, sa_exc.DBAPIError) and getattr(cause.orig, "sqlstate", None) in _RETRY_SQLSTATES


class Catalog:
    """Catalog on PostgreSQL or SQLite. Build with :meth:`open`; call :meth:`close` when done."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # --- lifecycle ------------------------------------------------------------------------------
    @classmethod
    def open(cls, url: str, *, auto_upgrade: bool | None = None) -> Catalog:
        """Connect; ``auto_upgrade`` None means True for SQLite, False for PostgreSQL.

        An un-migrated or outdated catalog without auto-upgrade raises UnavailableError telling
        the user to run ``maskloop db upgrade``.
        """
        from storage.migrations.runner import current_revision, head_revision, upgrade

        engine = make_engine(url)
        try:
            check_reachable(engine)
        except UnavailableError:
            engine.dispose()
            raise
        if auto_upgrade is None:
            auto_upgrade = engine.dialect.name == "sqlite"
        with db_errors("reading the catalog schema revision"):
            current, head = current_revision(engine), head_revision()
        if current != head:
            if not auto_upgrade:
                engine.dispose()
                raise UnavailableError(
                    f"the catalog at {engine.url.render_as_string(hide_password=True)} is at schema revision "
                    f"{current or 'none (empty database)'}, this maskloop needs {head}: run `maskloop db upgrade`"
                )
            from alembic.util.exc import CommandError

            try:
                with db_errors("migrating the catalog"):
                    upgrade(engine)
            except CommandError as exc:
                engine.dispose()
                raise UnavailableError(
                    f"the catalog's schema revision {current!r} is unknown to this maskloop (made by a newer "
                    f"version?): upgrade maskloop, or point MASKLOOP_DATABASE_URL at another catalog"
                ) from exc
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def session(self, what: str) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error (driver errors mapped)."""
        with db_errors(what), Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def _write(self, what: str, actor: str, role: str, fn: Callable[[Session], T], retries: int = 1) -> T:
        """Run ``fn`` in one write transaction; retry on deadlock/serialization/unique races."""
        check_writer(actor, role)
        for attempt in range(retries):
            try:
                with self.session(what) as session:
                    return fn(session)
            except StorageError as exc:
                if attempt + 1 >= retries or not _retryable(exc):
                    raise
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    # --- datasets and videos --------------------------------------------------------------------
    def ensure_dataset(self, name: str, *, actor: str, role: str) -> int:
        return self._write(f"creating dataset {name!r}", actor, role,
                           lambda s: _videos.ensure_dataset(s, name, actor=actor, role=role), retries=3)

    def find_video(self, dataset: str, sha256: str) -> VideoRef | None:
        with self.session("looking up a video") as s:
            return _videos.find_video(s, dataset, sha256)

    def register_video(self, video: NewVideo, *, actor: str, role: str) -> VideoRef:
        """Register a de-identified video; ConflictError if (dataset, sha256) already exists."""
        return self._write(f"registering video {video.sha256[:12]}", actor, role,
                           lambda s: _videos.register_video(s, video, actor=actor, role=role), retries=3)

    def get_video(self, video_id: int) -> VideoRef:
        with self.session(f"reading video {video_id}") as s:
            return _videos.get_video(s, video_id)

    def list_videos(self, dataset: str) -> list[VideoRef]:
        with self.session(f"listing videos of {dataset!r}") as s:
            return _videos.list_videos(s, dataset)

    # --- masklets -------------------------------------------------------------------------------
    def add_masklet(self, *, video_id: int, origin: str, blob_key: str, blob_sha256: str,
                    frame_indices: Sequence[int], scores: Sequence[float], status: str, source: str,
                    actor: str, role: str, round_id: int | None = None,
                    generator_model_version_id: int | None = None,
                    generator_params_hash: str | None = None) -> int:
        """New masklet with revision 1; returns its id."""
        return self._write("adding a masklet", actor, role, lambda s: _masklets.add_masklet(
            s, video_id=video_id, origin=origin, blob_key=blob_key, blob_sha256=blob_sha256,
            frame_indices=frame_indices, scores=scores, status=status, source=source, actor=actor, role=role,
            round_id=round_id, generator_model_version_id=generator_model_version_id,
            generator_params_hash=generator_params_hash))

    def add_revision(self, masklet_id: int, *, blob_key: str, blob_sha256: str, frame_indices: Sequence[int],
                     scores: Sequence[float], source: str, actor: str, role: str) -> int:
        """New immutable revision, made current; returns its number (2, 3, ...)."""
        return self._write(f"revising masklet {masklet_id}", actor, role, lambda s: _masklets.add_revision(
            s, masklet_id, blob_key=blob_key, blob_sha256=blob_sha256, frame_indices=frame_indices,
            scores=scores, source=source, actor=actor, role=role))

    def set_masklet_status(self, masklet_id: int, status: str, *, actor: str, role: str) -> None:
        self._write(f"setting the status of masklet {masklet_id}", actor, role,
                    lambda s: _masklets.set_status(s, masklet_id, status, actor=actor, role=role))

    def masklet_revision_blob(self, masklet_id: int, revision: int | None = None) -> tuple[str, str]:
        """(blob_key, blob_sha256) of a revision (default: the current one)."""
        with self.session(f"reading masklet {masklet_id}") as s:
            return _masklets.revision_blob(s, masklet_id, revision)

    def list_masklets(self, *, video_id: int | None = None, dataset: str | None = None,
                      origin: str | None = None, status: str | None = None) -> pd.DataFrame:
        """Masklets with their current revision; columns ``storage.catalog.masklets.MASKLET_COLUMNS``."""
        with self.session("listing masklets") as s:
            return _masklets.list_masklets(s, video_id=video_id, dataset=dataset, origin=origin, status=status)

    # --- models, runs, rounds, reviews ----------------------------------------------------------
    def register_model(self, *, name: str, backend: str, uri: str, actor: str, role: str,
                       sha256: str | None = None, training_run_id: int | None = None,
                       version: int | None = None, aliases: tuple[str, ...] = ()) -> tuple[int, ModelRef]:
        """Register ``name`` at ``version`` (default: next number); returns (model_version id, ref)."""
        return self._write(f"registering model {name}", actor, role, lambda s: _registry.register_model(
            s, name=name, backend=backend, uri=uri, sha256=sha256, training_run_id=training_run_id,
            version=version, aliases=aliases, actor=actor, role=role), retries=3)

    def model_version_id(self, name: str, version: int) -> int:
        with self.session(f"reading model {name}@{version}") as s:
            return int(_registry.model_row(s, name, version).id)

    def add_training_run(self, *, dataset_version: str, actor: str, role: str,
                         base_model_version_id: int | None = None, mlflow_run_id: str | None = None,
                         params: dict | None = None) -> int:
        """Record a training run on ``NAME@N``; returns its id."""
        from storage.versions.members import version_row

        def run(s: Session) -> int:
            row, _ = version_row(s, dataset_version)
            return _registry.add_training_run(s, dataset_version_id=int(row.id), mlflow_run_id=mlflow_run_id,
                                              base_model_version_id=base_model_version_id, params=params or {},
                                              actor=actor, role=role)
        return self._write("recording a training run", actor, role, run)

    def finish_training_run(self, run_id: int, *, status: str, metrics: dict, actor: str, role: str) -> None:
        self._write(f"finishing training run {run_id}", actor, role, lambda s: _registry.finish_training_run(
            s, run_id, status=status, metrics=metrics, actor=actor, role=role))

    def create_round(self, *, dataset: str, actor: str, role: str, model_version_id: int | None = None,
                     budget: int | None = None, label_studio_project_id: int | None = None) -> int:
        return self._write("creating an annotation round", actor, role, lambda s: _registry.create_round(
            s, dataset=dataset, model_version_id=model_version_id, budget=budget,
            label_studio_project_id=label_studio_project_id, actor=actor, role=role))

    def add_review(self, *, masklet_id: int, revision: int, reviewer: str, verdict: str, actor: str, role: str,
                   corrected_revision: int | None = None, frames_edited: int = 0, clicks: int = 0,
                   seconds: float = 0.0, external_id: str | None = None) -> int:
        """Record a review; a repeated ``external_id`` returns the stored review's id (idempotent)."""
        return self._write(f"recording a review of masklet {masklet_id}", actor, role, lambda s: _registry.add_review(
            s, masklet_id=masklet_id, revision=revision, reviewer=reviewer, verdict=verdict,
            corrected_revision=corrected_revision, frames_edited=frames_edited, clicks=clicks, seconds=seconds,
            external_id=external_id, actor=actor, role=role), retries=3)

    # --- dataset versions -----------------------------------------------------------------------
    def commit_version(self, dataset: str, *, message: str, actor: str, role: str,
                       manifest_writer: Callable[[bytes], tuple[str, str]],
                       split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
                       pinned_splits: Mapping[int, str] | None = None) -> DatasetVersionRef:
        """Commit version N+1 (atomic). NothingToCommitError (a ConflictError) when nothing changed.

        ``manifest_writer(bytes) -> (key, sha256)`` stores the delta manifest (object store put_blob).
        ``pinned_splits`` (video id -> split) places videos new to the dataset's versions explicitly.
        """
        from storage.versions.commit import commit_version

        ref = self._write(f"committing dataset {dataset!r}", actor, role, lambda s: commit_version(
            s, dataset, message=message, actor=actor, role=role, manifest_writer=manifest_writer,
            split_fractions=split_fractions, pinned_splits=pinned_splits), retries=8)
        if ref is None:
            raise NothingToCommitError(f"nothing to commit: no accepted masklet of {dataset!r} changed since its newest version")
        return ref

    def get_version(self, ref: str) -> DatasetVersionRef:
        from storage.versions.members import to_ref, version_row

        with self.session(f"reading dataset version {ref}") as s:
            return to_ref(*version_row(s, ref))

    def version_members(self, ref: str) -> pd.DataFrame:
        """Members of ``NAME@N``: masklet_id, revision, video_id, video_sha256, blob_key, blob_sha256, split, origin."""
        from storage.versions.members import version_members

        with self.session(f"reading members of {ref}") as s:
            return version_members(s, ref)

    def list_versions(self, dataset: str) -> pd.DataFrame:
        from storage.versions.members import list_versions

        with self.session(f"listing versions of {dataset!r}") as s:
            return list_versions(s, dataset)

    def diff_versions(self, ref_a: str, ref_b: str) -> pd.DataFrame:
        from storage.versions.members import diff_versions

        with self.session(f"comparing {ref_a} and {ref_b}") as s:
            return diff_versions(s, ref_a, ref_b)

    # --- audit trail ----------------------------------------------------------------------------
    def verify_audit(self, *, anchor: str | None = None) -> AuditCheck:
        """Walk the hash chain; the result names the first broken event (storage.records.AuditCheck).

        ``anchor``: an earlier head hash that must still be in the chain (detects truncation)."""
        from storage.audit.verify import verify_chain

        return verify_chain(self.engine, anchor=anchor)

    def audit_events(self, **filters: object) -> pd.DataFrame:
        """Audit events as a DataFrame; filters as :func:`storage.audit.query.list_events`."""
        from storage.audit.query import list_events

        return list_events(self.engine, **filters)
