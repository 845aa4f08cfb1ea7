"""``/v1/audit``: audit events (filtered, paginated) and verification of the hash chain (audit.read)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from flows.api.auth import require
from flows.api.params import MAX_ID, ActionFilter, ActorFilter, EntityFilter, Format, as_utc
from flows.api.rendering import CSV_RESPONSE, csv_response, utc_or_none, wants_csv
from flows.api.roles import AUDIT_READ
from flows.api.schemas import AuditEventOut, AuditEventsOut, AuditVerifyOut
from storage.audit.query import MAX_PAGE, event_page
from storage.audit.verify import verify_audit

router = APIRouter(prefix="/v1/audit", tags=["audit"], dependencies=[Depends(require(AUDIT_READ))])


@router.get("/events", response_model=AuditEventsOut, responses=CSV_RESPONSE)
async def audit_events(
    request: Request,
    actor: ActorFilter = None,
    action: ActionFilter = None,
    entity: EntityFilter = None,
    since: Annotated[datetime | None, Query(description="From this time (ISO-8601, inclusive; naive = UTC)")] = None,
    until: Annotated[datetime | None, Query(description="Before this time (ISO-8601, exclusive)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size, at most {MAX_PAGE}")] = 100,
    cursor: Annotated[int, Query(ge=0, le=MAX_ID, description="next_cursor of the previous page")] = 0,
    format: Format = None,
):
    """Audit events matching every filter, oldest first, one page at a time (follow next_cursor)."""
    since_utc, until_utc = as_utc(since, name="since"), as_utc(until, name="until")
    page, next_cursor = await run_in_threadpool(
        lambda: event_page(request.app.state.backend.catalog.engine, limit=limit, cursor=cursor, actor=actor,
                           action=action, entity=entity, since=since_utc, until=until_utc))
    if wants_csv(request, format):
        response = csv_response(page, filename="audit-events")
        if next_cursor is not None:
            response.headers["X-Next-Cursor"] = str(next_cursor)
        return response
    events = [AuditEventOut(id=int(r.id), at=utc_or_none(r.at), actor=r.actor, role=r.role, action=r.action,
                            entity=r.entity, details=json.loads(r.details), prev_hash=r.prev_hash, hash=r.hash)
              for r in page.itertuples(index=False)]
    return AuditEventsOut(events=events, next_cursor=next_cursor)


@router.get("/verify", response_model=AuditVerifyOut)
async def audit_verify(
    request: Request,
    anchor: Annotated[str | None, Query(
        pattern=r"^[0-9a-f]{64}$", description="A head_hash from an earlier check; it must still be there")] = None,
) -> AuditVerifyOut:
    """Recompute the whole hash chain; ``ok`` false names the first edited, deleted or reordered event."""
    check = await run_in_threadpool(lambda: verify_audit(request.app.state.backend.catalog, anchor=anchor))
    return AuditVerifyOut(ok=check.ok, n_events=check.n_events, head_hash=check.head_hash,
                          first_broken_id=check.first_broken_id, problem=check.problem)
