"""``/v1/masklets``: provenance of one masklet (lineage.read)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from flows.api.auth import require
from flows.api.params import EntityId, Format
from flows.api.rendering import CSV_RESPONSE, lineage_response
from flows.api.roles import LINEAGE_READ
from flows.api.schemas import LineageOut

router = APIRouter(prefix="/v1/masklets", tags=["lineage"], dependencies=[Depends(require(LINEAGE_READ))])


@router.get("/{masklet_id}/provenance", response_model=LineageOut, responses=CSV_RESPONSE)
async def masklet_provenance(request: Request, masklet_id: EntityId, format: Format = None):
    """Video, generator model and params, round, every revision and review, the dataset versions
    holding it, and the training runs and models built on them. 404 if the masklet is unknown."""
    from storage.lineage.queries import lineage_of_masklet

    frame = await run_in_threadpool(lineage_of_masklet, request.app.state.backend.catalog, masklet_id)
    return lineage_response(request, format, frame, subject=f"masklet:{masklet_id}",
                            filename=f"masklet-{masklet_id}-provenance")
