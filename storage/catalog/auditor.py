"""Giving the PostgreSQL role ``maskloop_auditor`` (created NOLOGIN by the migration) a login.

The password comes from the caller (the CLI reads it from an environment variable it is told
about); it is sent as a quoted literal built by psycopg, never formatted into SQL by hand.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from storage.catalog.guard import db_errors
from storage.errors import InvalidInputError, NotFoundError

AUDITOR_ROLE = "maskloop_auditor"


def enable_auditor_login(engine: Engine, password: str) -> None:
    """``ALTER ROLE maskloop_auditor LOGIN PASSWORD <password>`` (PostgreSQL, as a role admin)."""
    if engine.dialect.name != "postgresql":
        raise InvalidInputError("the auditor role exists only on PostgreSQL catalogs (SQLite has no roles)")
    if len(password) < 12:
        raise InvalidInputError("the auditor password must have at least 12 characters")
    from psycopg import sql

    with db_errors("enabling the auditor login"):
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (AUDITOR_ROLE,))
                if cur.fetchone() is None:
                    raise NotFoundError(f"role {AUDITOR_ROLE} does not exist: run `maskloop db upgrade` first")
                cur.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(AUDITOR_ROLE), sql.Literal(password)))
            raw.commit()
        finally:
            raw.close()
