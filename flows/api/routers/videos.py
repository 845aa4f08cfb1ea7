"""``/v1/videos``: impact of one video, everything derived from it (lineage.read)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from flows.api.auth import require
from flows.api.params import EntityId, Format
from flows.api.rendering import CSV_RESPONSE, lineage_response
from flows.api.roles import LINEAGE_READ
from flows.api.schemas import LineageOut

router = APIRouter(prefix="/v1/videos", tags=["lineage"], dependencies=[Depends(require(LINEAGE_READ))])


@router.get("/{video_id}/impact", response_model=LineageOut, responses=CSV_RESPONSE)
async def video_impact(request: Request, video_id: EntityId, format: Format = None):
    """Frames, masklets, revision blobs, reviews, every dataset version pinning its data, training
    runs and models (recursive fine-tunes): what a deletion request must reach. 404 if unknown."""
    from storage.lineage.queries import lineage_of_video

    frame = await run_in_threadpool(lineage_of_video, request.app.state.backend.catalog, video_id)
    return lineage_response(request, format, frame, subject=f"video:{video_id}", filename=f"video-{video_id}-impact")
