"""Appending audit events inside the caller's transaction.

On PostgreSQL a transaction-scoped advisory lock serializes appenders, so ids are consecutive and
in commit order; on SQLite every catalog transaction already holds the write lock (BEGIN IMMEDIATE).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session

from storage.audit.chain import GENESIS, canonical_json, event_hash
from storage.catalog.tables import AuditEvent

AUDIT_LOCK_KEY = 7_301_965_223  # arbitrary constant: pg_advisory_xact_lock key of the audit chain


def append_event(
    session: Session, *, actor: str, role: str, action: str, entity: str, details: dict
) -> AuditEvent:
    """Append one event to the chain in ``session``'s transaction (committed with it).

    ``entity`` is ``"<table>:<id>"`` (e.g. ``"masklet:42"``); ``details`` must be JSON-serializable.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})
    last = session.execute(
        sa.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    event_id = 1 if last is None else last.id + 1
    prev_hash = GENESIS if last is None else last.hash
    at = datetime.now(UTC)
    details_text = canonical_json(details)
    digest = event_hash(
        id=event_id, at=at, actor=actor, role=role, action=action, entity=entity,
        details=details_text, prev_hash=prev_hash,
    )
    event = AuditEvent(
        id=event_id, at=at, actor=actor, role=role, action=action, entity=entity,
        details=details_text, prev_hash=prev_hash, hash=digest,
    )
    session.add(event)
    session.flush()
    return event
