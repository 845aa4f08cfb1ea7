"""``/v1/models``: where a model version came from, as data or as a picture (lineage.read)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from flows.api.auth import require
from flows.api.params import Format, Name, VersionNumber
from flows.api.rendering import CSV_RESPONSE, lineage_response
from flows.api.roles import LINEAGE_READ
from flows.api.schemas import LineageOut

router = APIRouter(prefix="/v1/models", tags=["lineage"], dependencies=[Depends(require(LINEAGE_READ))])


@router.get("/{name}/{version}/lineage", response_model=LineageOut, responses=CSV_RESPONSE)
async def model_lineage(request: Request, name: Name, version: VersionNumber,
                        format: Format = None):
    """Training run, dataset version with its composition, base models recursively. 404 if unknown."""
    from storage.lineage.queries import lineage_of_model

    ref = f"{name}@{version}"
    frame = await run_in_threadpool(lineage_of_model, request.app.state.backend.catalog, ref)
    return lineage_response(request, format, frame, subject=f"model {ref}", filename=f"{ref}-lineage")


@router.get("/{name}/{version}/lineage.html", response_class=HTMLResponse,
            responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}})
async def model_lineage_html(request: Request, name: Name, version: VersionNumber) -> HTMLResponse:
    """A self-contained HTML page with an SVG graph: model <- training run <- dataset version <-
    rounds, videos, reviewers, and the base models' chains. No scripts; strict CSP."""
    from flows.api.lineage_page import CSP, model_lineage_page

    page = await run_in_threadpool(model_lineage_page, request.app.state.backend.catalog, f"{name}@{version}")
    return HTMLResponse(page, headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"})
