"""Validated request parameters shared by the routers (bad input -> 422 before any query runs).

Audit filters accept only the shapes the trail's values have -- actor: letters, digits, space and
``._@+-``; action: ``[A-Za-z0-9_.-]`` (``masklet.create``); entity: those plus ``:/{}@``
(``masklet:42``, ``api:/v1/...``); a trailing ``*`` makes action/entity a prefix match. So quotes,
semicolons, control characters (PostgreSQL text cannot hold NUL) are refused with 422 before any
query runs (the queries bind parameters anyway). Names follow ``storage.catalog.refs.check_name``;
ids are positive 32-bit integers (the catalog's integer columns); times are ISO-8601, naive ones
taken as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import Path, Query

from flows.errors import InvalidInputError

MAX_ID = 2**31 - 1
ACTOR_PATTERN = r"^[\w.@+\- ]+$"
ACTION_PATTERN = r"^[A-Za-z0-9_.\-]+\*?$"
ENTITY_PATTERN = r"^[A-Za-z0-9_.:@/{}\-]+\*?$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,199}$"

EntityId = Annotated[int, Path(ge=1, le=MAX_ID, description="Positive integer id")]
Name = Annotated[str, Path(min_length=1, max_length=200, pattern=NAME_PATTERN,
                           description="Letters, digits, '.', '_' or '-'")]
VersionNumber = Annotated[int, Path(ge=1, le=999_999_999, description="Version number (1, 2, ...)")]
Format = Annotated[Literal["json", "csv"] | None, Query(
    description="json (default) or csv; an Accept: text/csv header also selects CSV")]
ActorFilter = Annotated[str | None, Query(min_length=1, max_length=200, pattern=ACTOR_PATTERN,
                                          description="Exact actor (letters, digits, space, ._@+-)")]
ActionFilter = Annotated[str | None, Query(min_length=1, max_length=100, pattern=ACTION_PATTERN,
                                           description="Exact action, or a prefix ending in * (masklet.*)")]
EntityFilter = Annotated[str | None, Query(min_length=1, max_length=200, pattern=ENTITY_PATTERN,
                                           description="Exact entity (masklet:42), or a prefix ending in *")]


def as_utc(value: datetime | None, *, name: str) -> datetime | None:
    """``value`` in UTC (naive -> UTC); InvalidInputError for times that cannot be expressed in UTC."""
    if value is None:
        return None
    try:
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise InvalidInputError(f"{name} {value.isoformat()} is out of range; use a UTC time such as "
                                "2026-11-21T10:00:00Z") from exc
