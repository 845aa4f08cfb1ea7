"""Middleware recording every request of the API in the hash-chained audit trail.

One event per request, after the response is computed and before it is sent: action
``api.request``, actor = the token's name (``anonymous`` without a valid token), role = the
token's role (``none``), entity ``api:<route template>`` (``api:unmatched`` for unknown paths),
details ``{method, path, query, status}`` with the raw (percent-encoded) path and query, each cut
to 1000 characters. Never the Authorization header. If the event cannot be written the client gets
503 instead of the data (fail closed: no unaudited reads).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from storage.catalog.api_tokens import append_api_event
from storage.errors import StorageError

logger = logging.getLogger(__name__)

ACTION = "api.request"
MAX_RAW = 1000


def _raw(value: bytes | str | None) -> str:
    if value is None:
        return ""
    text = value.decode("ascii", errors="backslashreplace") if isinstance(value, bytes) else value
    return text.replace("\x00", "\\x00")[:MAX_RAW]


def request_details(request: Request, status: int) -> dict:
    """What the audit event says about the request (no headers, no body)."""
    return {"method": request.method[:16], "path": _raw(request.scope.get("raw_path") or request.url.path),
            "query": _raw(request.scope.get("query_string")), "status": status}


def route_entity(request: Request) -> str:
    route = request.scope.get("route")
    template = getattr(route, "path", None)
    return ("api:" + template if template else "api:unmatched")[:200]


async def audit_requests(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """``app.middleware("http")`` function: run the request, then append its audit event."""
    try:
        response = await call_next(request)
    except Exception:  # an unexpected bug: still audited, answered without details
        logger.exception("unhandled error answering %s %s", request.method, route_entity(request))
        response = JSONResponse({"detail": "internal error; it was logged and the request was audited"},
                                status_code=500)
    principal = getattr(request.state, "principal", None)
    actor = principal.name if principal is not None else "anonymous"
    role = principal.role if principal is not None else "none"
    try:
        await run_in_threadpool(append_api_event, request.app.state.backend.catalog, actor=actor, role=role,
                                action=ACTION, entity=route_entity(request),
                                details=request_details(request, response.status_code))
    except StorageError as exc:
        logger.error("could not record %s %s in the audit trail: %s", request.method, route_entity(request), exc)
        return JSONResponse({"detail": "the request could not be recorded in the audit trail, so it is refused; "
                                       "check the catalog database and retry"}, status_code=503)
    return response
