"""Verifying the audit hash chain from the stored rows (read-only; works as maskloop_auditor).

:func:`verify_audit` takes the :class:`~storage.catalog.catalog.Catalog`, like every catalog read;
:func:`verify_chain` takes an engine (the auditor login has no Catalog of its own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.audit.chain import GENESIS, event_hash
from storage.catalog.guard import db_errors
from storage.catalog.tables import AuditEvent
from storage.records import AuditCheck

if TYPE_CHECKING:
    from storage.catalog.catalog import Catalog


def verify_chain(engine: Engine, *, anchor: str | None = None) -> AuditCheck:
    """Walk every event in id order; report the first edited, deleted or reordered one.

    Checks per row: ids are consecutive from 1 (a gap means deleted rows), the stored hash equals
    the recomputed hash (an edit), ``prev_hash`` equals the previous row's hash (deletion or
    reordering). Streams rows, so memory stays flat on long trails.

    ``anchor``: a head hash recorded earlier (``AuditCheck.head_hash``, e.g. kept in WORM storage);
    the chain must still contain it, which also catches deletion of the newest events.
    """
    t = AuditEvent.__table__
    expected_id, prev_hash, count, anchor_seen = 1, GENESIS, 0, anchor is None
    with db_errors("verifying the audit trail"), engine.connect() as conn:
        result = conn.execution_options(yield_per=5000).execute(sa.select(t).order_by(t.c.id))
        for row in result:
            count += 1
            if row.id != expected_id:
                return AuditCheck(False, count, prev_hash, row.id,
                                  f"event {row.id} follows event {expected_id - 1}: events are missing (deleted) "
                                  "or ids were rewritten")
            recomputed = event_hash(id=row.id, at=row.at, actor=row.actor, role=row.role, action=row.action,
                                    entity=row.entity, details=row.details, prev_hash=row.prev_hash)
            if recomputed != row.hash:
                return AuditCheck(False, count, prev_hash, row.id,
                                  f"event {row.id} ({row.action} {row.entity}) was edited: its content does not "
                                  "match its stored hash")
            if row.prev_hash != prev_hash:
                return AuditCheck(False, count, prev_hash, row.id,
                                  f"event {row.id} ({row.action} {row.entity}) does not link to event "
                                  f"{row.id - 1}: an earlier event was deleted, edited or reordered")
            expected_id, prev_hash = row.id + 1, row.hash
            anchor_seen = anchor_seen or row.hash == anchor
    if not anchor_seen:
        return AuditCheck(False, count, prev_hash, expected_id,
                          f"the anchor hash {anchor} is not in the chain: events up to event {expected_id - 1} "
                          "verify, but newer events that held the anchor were deleted or rewritten")
    return AuditCheck(True, count, prev_hash)


def verify_audit(catalog: Catalog, *, anchor: str | None = None) -> AuditCheck:
    """Walk the hash chain; the result names the first broken event (storage.records.AuditCheck).

    ``anchor``: an earlier head hash that must still be in the chain (detects truncation)."""
    return verify_chain(catalog.engine, anchor=anchor)
