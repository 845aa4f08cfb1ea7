"""SQLAlchemy engines for the catalog: PostgreSQL (psycopg 3) or an embedded SQLite file.

SQLite gets foreign keys, WAL and ``BEGIN IMMEDIATE`` transactions (writers serialize at BEGIN,
so read-then-write sequences such as the audit chain and version numbering cannot interleave).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from storage.errors import InvalidInputError, UnavailableError


def make_engine(url: str) -> Engine:
    """Engine for ``url`` (``postgresql+psycopg://...`` or ``sqlite:///path``); nothing is connected yet."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InvalidInputError(
            "catalog URL is not a valid database URL; use postgresql+psycopg://user@host:port/db "
            "or sqlite:///path/catalog.sqlite"
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            return sa.create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=10)
        except NoSuchModuleError as exc:
            raise InvalidInputError(f"unsupported PostgreSQL driver {parsed.drivername!r}; use postgresql+psycopg") from exc
    raise InvalidInputError(f"unsupported catalog database {backend!r}; use PostgreSQL or SQLite")


def _sqlite_engine(parsed: sa.URL) -> Engine:
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(parsed, connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def check_reachable(engine: Engine) -> None:
    """Open one connection; an unreachable server raises :class:`UnavailableError`."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        raise UnavailableError(
            f"cannot reach the catalog database {engine.url.render_as_string(hide_password=True)}: "
            f"{str(exc.orig).strip().splitlines()[0] if exc.orig else exc}; start it (maskloop stack up) "
            "or fix MASKLOOP_DATABASE_URL"
        ) from exc
