"""Reading the audit trail as a DataFrame, filtered (bound parameters only)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.catalog.guard import db_errors
from storage.catalog.tables import AuditEvent
from storage.errors import InvalidInputError

EVENT_COLUMNS = ["id", "at", "actor", "role", "action", "entity", "details", "prev_hash", "hash"]


def list_events(engine: Engine, *, actor: str | None = None, action: str | None = None,
                entity: str | None = None, since: datetime | None = None, until: datetime | None = None,
                limit: int | None = 100) -> pd.DataFrame:
    """Events matching every given filter, oldest first (the newest ``limit`` of them).

    ``action`` / ``entity`` ending in ``*`` match a prefix (``masklet.*``, ``masklet:*``);
    ``since`` / ``until`` bound ``at`` (inclusive / exclusive). Columns :data:`EVENT_COLUMNS`.
    """
    if limit is not None and limit < 1:
        raise InvalidInputError("--limit must be at least 1")
    query = sa.select(*(getattr(AuditEvent, c) for c in EVENT_COLUMNS))
    for column, value in ((AuditEvent.action, action), (AuditEvent.entity, entity)):
        if value is None:
            continue
        if value.endswith("*"):
            escaped = value[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(column.like(escaped + "%", escape="\\"))
        else:
            query = query.where(column == value)
    if actor is not None:
        query = query.where(AuditEvent.actor == actor)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    query = query.order_by(AuditEvent.id.desc())
    if limit is not None:
        query = query.limit(int(limit))
    with db_errors("reading the audit trail"), engine.connect() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame([tuple(r) for r in reversed(rows)], columns=EVENT_COLUMNS)
