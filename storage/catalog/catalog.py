"""The :class:`Catalog`: the catalog's connection, and nothing else.

Design: a Catalog is the connection. It holds one SQLAlchemy engine (a connection pool), is safe
to share between threads, and runs each write in its own transaction with its audit event in that
same transaction (:meth:`Catalog.write`, which also checks the writer and retries races). Every
read and write of a record is a module function ``f(catalog, ...)`` in the module of its record:
``storage.catalog.videos`` (datasets, videos), ``masklets``, ``registry`` (model versions,
training runs), ``rounds``, ``generation``, ``reviews``, ``refinement``, ``splits``,
``model_aliases``, ``api_tokens``; ``storage.versions.commit`` and ``storage.versions.members``
(dataset versions); ``storage.audit.verify`` and ``storage.audit.query`` (the audit trail);
``storage.lineage`` (lineage queries). So flows/ sees one kind of surface (functions taking a
Catalog first), each component is one file, and no record's code hides in a facade class.
Imports point one way: those modules import this one, this one imports none of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Self, TypeVar

import sqlalchemy.exc as sa_exc
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.catalog.engine import check_reachable, make_engine
from storage.catalog.guard import check_writer, db_errors
from storage.errors import StorageError, UnavailableError

T = TypeVar("T")
_RETRY_SQLSTATES = {"40001", "40P01", "23505"}  # serialization failure, deadlock, unique violation


def _retryable(exc: StorageError) -> bool:
    cause = exc.__cause__
    return isinstance(cause, sa_exc.DBAPIError) and getattr(cause.orig, "sqlstate", None) in _RETRY_SQLSTATES


class Catalog:
    """Catalog on PostgreSQL or SQLite. Build with :meth:`open`; call :meth:`close` when done."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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

    def write(self, what: str, actor: str, role: str, fn: Callable[[Session], T], retries: int = 1) -> T:
        """Run ``fn(session)`` in one write transaction after :func:`~storage.catalog.guard.check_writer`;
        up to ``retries`` attempts on deadlock/serialization/unique races (``what`` names it in errors)."""
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
