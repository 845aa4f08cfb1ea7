"""Reading the audit trail as a DataFrame, filtered (bound parameters only).

:func:`audit_events` takes the :class:`~storage.catalog.catalog.Catalog`, like every catalog read;
:func:`list_events` and :func:`event_page` take an engine.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.catalog.guard import db_errors
from storage.catalog.tables import AuditEvent
from storage.errors import InvalidInputError

if TYPE_CHECKING:
    from storage.catalog.catalog import Catalog

EVENT_COLUMNS = ["id", "at", "actor", "role", "action", "entity", "details", "prev_hash", "hash"]


def _match(column, value: str):
    """``column == value``, or a prefix match when ``value`` ends in ``*`` (LIKE, escaped)."""
    if value.endswith("*"):
        escaped = value[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.like(escaped + "%", escape="\\")
    return column == value


def _filtered(query, *, actor: str | None, action: str | None, entity: str | None,
              since: datetime | None, until: datetime | None):
    for column, value in ((AuditEvent.action, action), (AuditEvent.entity, entity)):
        if value is not None:
            query = query.where(_match(column, value))
    if actor is not None:
        query = query.where(AuditEvent.actor == actor)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    return query


def list_events(engine: Engine, *, actor: str | None = None, action: str | None = None,
                entity: str | None = None, since: datetime | None = None, until: datetime | None = None,
                limit: int | None = 100) -> pd.DataFrame:
    """Events matching every given filter, oldest first (the newest ``limit`` of them).

    ``action`` / ``entity`` ending in ``*`` match a prefix (``masklet.*``, ``masklet:*``);
    ``since`` / ``until`` bound ``at`` (inclusive / exclusive). Columns :data:`EVENT_COLUMNS`.
    """
    if limit is not None and limit < 1:
        raise InvalidInputError("--limit must be at least 1")
    query = _filtered(sa.select(*(getattr(AuditEvent, c) for c in EVENT_COLUMNS)), actor=actor, action=action,
                      entity=entity, since=since, until=until).order_by(AuditEvent.id.desc())
    if limit is not None:
        query = query.limit(int(limit))
    with db_errors("reading the audit trail"), engine.connect() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame([tuple(r) for r in reversed(rows)], columns=EVENT_COLUMNS)



def audit_events(catalog: Catalog, **filters: object) -> pd.DataFrame:
    """Audit events as a DataFrame; filters as :func:`storage.audit.query.list_events`."""
    return list_events(catalog.engine, **filters)

MAX_PAGE = 1000


def event_page(engine: Engine, *, limit: int, cursor: int = 0, actor: str | None = None,
               action: str | None = None, entity: str | None = None, since: datetime | None = None,
               until: datetime | None = None) -> tuple[pd.DataFrame, int | None]:
    """One page of events with keyset pagination: (events with id > cursor matching the filters,
    oldest first, at most ``limit``; the next cursor or None). Filters as :func:`list_events`.

    Columns :data:`EVENT_COLUMNS`; ``limit`` in 1..:data:`MAX_PAGE` (ValueError otherwise). One
    page costs O(limit) with the primary-key index, however long the trail is.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be in 1..{MAX_PAGE}")
    query = _filtered(sa.select(*(getattr(AuditEvent, c) for c in EVENT_COLUMNS)).where(AuditEvent.id > cursor),
                      actor=actor, action=action, entity=entity, since=since, until=until)
    query = query.order_by(AuditEvent.id).limit(limit + 1)
    with db_errors("reading the audit trail"), engine.connect() as conn:
        rows = conn.execute(query).all()
    page = pd.DataFrame([tuple(r) for r in rows[:limit]], columns=EVENT_COLUMNS)
    next_cursor = int(rows[limit - 1].id) if len(rows) > limit else None
    return page, next_cursor
