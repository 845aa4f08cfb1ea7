"""The auditor API: a FastAPI app built by :func:`create_app` from Settings (no global state).

Read-only, versioned endpoints under ``/v1`` (JSON by default, CSV with ``?format=csv`` or
``Accept: text/csv``) and the OpenAPI spec at ``/openapi.json`` (no /docs page: Swagger UI would
load scripts from a CDN; point any OpenAPI viewer at the spec instead):

- ``GET /v1/masklets/{id}/provenance``, ``GET /v1/videos/{id}/impact``
- ``GET /v1/datasets/{name}/versions``, ``.../versions/{n}``, ``.../diff?from=A&to=B``
- ``GET /v1/models/{name}/{version}/lineage`` and ``.../lineage.html`` (SVG picture)
- ``GET /v1/audit/events?actor=&action=&entity=&since=&until=&limit=&cursor=``, ``GET /v1/audit/verify``

Auth: ``Authorization: Bearer <token>`` (:mod:`flows.api.auth`, roles in :mod:`flows.api.roles`).
Status codes: 401 missing/invalid/revoked token, 403 role lacks the permission, 404 unknown id or
name, 400 input the catalog rejects (e.g. a time out of range), 422 malformed parameters (schema),
503 catalog unavailable or the request could not be audited. Every request, whatever its status,
appends one ``api.request`` audit event (:mod:`flows.api.audit_log`). Which database connection
the service reads through: :mod:`flows.api.backend`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from flows.api.audit_log import audit_requests
from flows.api.backend import ApiBackend, open_backend
from flows.api.schemas import ErrorOut
from flows.errors import FlowError
from flows.settings import Settings
from storage.errors import StorageError

API_VERSION = "1.0.0"
_STATUS_OF_EXIT_CODE = {2: 400, 3: 404, 4: 409, 5: 503}
ERROR_RESPONSES = {401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut},
                   400: {"model": ErrorOut}, 503: {"model": ErrorOut}}


def _error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """Layer errors -> HTTP: exit code 2 -> 400, 3 -> 404, 4 -> 409, 5 -> 503, else 500."""
    status = _STATUS_OF_EXIT_CODE.get(int(getattr(exc, "exit_code", 1)), 500)
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if status == 500:
        message = "internal error; it was logged and the request was audited"
    return JSONResponse({"detail": message}, status_code=status)


def create_app(settings: Settings, *, backend: ApiBackend | None = None) -> FastAPI:
    """Build the API. Opens the catalog now (``backend`` given: use it, the caller closes it);
    the app closes what it opened when its lifespan ends."""
    from flows.api.routers import audit, datasets, masklets, models, videos

    owned = backend is None
    backend = backend if backend is not None else open_backend(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if owned:
                backend.close()

    app = FastAPI(title="maskloop auditor API", version=API_VERSION, lifespan=lifespan,
                  description=__doc__, responses=ERROR_RESPONSES, docs_url=None, redoc_url=None)
    app.state.backend = backend
    app.add_exception_handler(StorageError, _error_handler)
    app.add_exception_handler(FlowError, _error_handler)
    app.middleware("http")(audit_requests)
    for module in (masklets, videos, datasets, models, audit):
        app.include_router(module.router)
    return app
