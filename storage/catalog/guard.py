"""Turning driver errors into storage errors, and checking who may write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy.exc as sa_exc

from storage.errors import ConflictError, InvalidInputError, UnavailableError

READ_ONLY_ROLES = frozenset({"auditor"})


def check_writer(actor: str, role: str) -> None:
    """Refuse a change without an actor, or by a read-only role (auditor)."""
    if not actor or not actor.strip():
        raise InvalidInputError("an actor is required for every catalog change (set MASKLOOP_ACTOR)")
    if not role or not role.strip():
        raise InvalidInputError("a role is required for every catalog change (set MASKLOOP_ROLE)")
    if role in READ_ONLY_ROLES:
        raise InvalidInputError(
            f"role {role!r} is read-only and may not change the catalog; use a data_manager, "
            "ml_engineer or admin role (MASKLOOP_ROLE)"
        )


def _first_line(exc: sa_exc.DBAPIError) -> str:
    text = str(exc.orig if exc.orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def db_errors(what: str) -> Iterator[None]:
    """Re-raise SQLAlchemy/driver errors during ``what`` as Conflict/Unavailable/InvalidInput errors."""
    try:
        yield
    except sa_exc.IntegrityError as exc:
        raise ConflictError(f"{what} conflicts with stored state: {_first_line(exc)}") from exc
    except sa_exc.DataError as exc:  # a value the database cannot hold (NUL in text, out of range)
        raise InvalidInputError(f"{what} refused a value: {_first_line(exc)}") from exc
    except sa_exc.OperationalError as exc:
        raise UnavailableError(f"{what} failed, the catalog database is unavailable: {_first_line(exc)}") from exc
    except sa_exc.ProgrammingError as exc:
        message = _first_line(exc)
        if "permission denied" in message:
            raise InvalidInputError(f"{what} refused by the database: {message}") from exc
        raise UnavailableError(
            f"{what} failed: {message}; is the catalog migrated? run `maskloop db upgrade`"
        ) from exc
    except sa_exc.DBAPIError as exc:
        message = _first_line(exc)
        if "immutable" in message:
            raise ConflictError(f"{what} rejected: {message}") from exc
        raise UnavailableError(f"{what} failed in the catalog database: {message}") from exc
