"""Hash chain of the audit trail: canonical JSON of an event row, and its sha256.

``hash = sha256(canonical_json({id, at, actor, role, action, entity, details, prev_hash}))`` where
``at`` is UTC ISO-8601 with microseconds and ``details`` is the stored canonical JSON text. The first
event's ``prev_hash`` is :data:`GENESIS`. Any edit, deletion or reordering of stored rows changes a
recomputed hash or breaks the ``prev_hash`` link of the following row.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

GENESIS = "0" * 64


def canonical_json(value: object) -> str:
    """Deterministic JSON text (sorted keys, no spaces, UTF-8 kept)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def utc_iso(at: datetime) -> str:
    """UTC timestamp text with microseconds; naive datetimes (SQLite) are taken as UTC."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    *, id: int, at: datetime, actor: str, role: str, action: str, entity: str, details: str, prev_hash: str
) -> str:
    """sha256 hex of the canonical JSON of one audit row (``details`` is its stored JSON text)."""
    row = {
        "id": id,
        "at": utc_iso(at),
        "actor": actor,
        "role": role,
        "action": action,
        "entity": entity,
        "details": details,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(row).encode("utf-8")).hexdigest()
