"""One page of audit events with keyset pagination (``id > cursor``, oldest first).

Filters are those of ``storage.audit.query.list_events`` (a trailing ``*`` on action/entity matches
a prefix; ``since`` inclusive, ``until`` exclusive), always as bound parameters. Reading one page
costs O(limit) with the primary-key index, however long the trail is.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from storage.audit.query import EVENT_COLUMNS
from storage.catalog.catalog import Catalog
from storage.catalog.guard import db_errors
from storage.catalog.tables import AuditEvent

MAX_PAGE = 1000


def _match(column, value: str):
    if value.endswith("*"):
        escaped = value[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return column.like(escaped + "%", escape="\\")
    return column == value


def audit_page(catalog: Catalog, *, limit: int, cursor: int = 0, actor: str | None = None,
               action: str | None = None, entity: str | None = None, since: datetime | None = None,
               until: datetime | None = None) -> tuple[pd.DataFrame, int | None]:
    """(events with id > cursor matching the filters, at most ``limit``; next cursor or None).

    Columns ``storage.audit.query.EVENT_COLUMNS``; ``limit`` in 1..:data:`MAX_PAGE`.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be in 1..{MAX_PAGE}")
    query = sa.select(*(getattr(AuditEvent, c) for c in EVENT_COLUMNS)).where(AuditEvent.id > cursor)
    if actor is not None:
        query = query.where(AuditEvent.actor == actor)
    if action is not None:
        query = query.where(_match(AuditEvent.action, action))
    if entity is not None:
        query = query.where(_match(AuditEvent.entity, entity))
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    query = query.order_by(AuditEvent.id).limit(limit + 1)
    with db_errors("reading the audit trail"), catalog.engine.connect() as conn:
        rows = conn.execute(query).all()
    page = pd.DataFrame([tuple(r) for r in rows[:limit]], columns=EVENT_COLUMNS)
    next_cursor = int(rows[limit - 1].id) if len(rows) > limit else None
    return page, next_cursor
