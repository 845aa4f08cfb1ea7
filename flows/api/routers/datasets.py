"""``/v1/datasets``: versions of a dataset, one version's content, and diffs (lineage.read)."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from flows.api.auth import require
from flows.api.params import Format, Name, VersionNumber
from flows.api.rendering import (
    CSV_RESPONSE,
    csv_response,
    lineage_rows,
    plain,
    utc_or_none,
    wants_csv,
)
from flows.api.roles import LINEAGE_READ
from flows.api.schemas import (
    DatasetVersionDetailOut,
    DatasetVersionOut,
    DatasetVersionsOut,
    DiffOut,
    DiffRow,
)
from flows.errors import NotFoundError
from storage.versions.members import diff_versions, list_versions

router = APIRouter(prefix="/v1/datasets", tags=["datasets"], dependencies=[Depends(require(LINEAGE_READ))])


def _version_out(r) -> DatasetVersionOut:
    return DatasetVersionOut(number=int(r.number), parent_number=plain(r.parent_number), n_members=int(r.n_members),
                             n_added=int(r.n_added), n_updated=int(r.n_updated), n_removed=int(r.n_removed),
                             manifest_sha256=r.manifest_sha256, created_by=r.created_by,
                             created_at=utc_or_none(r.created_at), message=r.message)


@router.get("/{name}/versions", response_model=DatasetVersionsOut, responses=CSV_RESPONSE)
async def dataset_versions(request: Request, name: Name, format: Format = None):
    """Every version of the dataset, oldest first. 404 if the dataset is unknown."""
    frame = await run_in_threadpool(list_versions, request.app.state.backend.catalog, name)
    if wants_csv(request, format):
        return csv_response(frame, filename=f"{name}-versions")
    return DatasetVersionsOut(dataset=name, versions=[_version_out(r) for r in frame.itertuples(index=False)])


def _version_detail(catalog, name: str, number: int) -> tuple[pd.Series, pd.DataFrame]:
    from storage.lineage.queries import lineage_of_dataset

    versions = list_versions(catalog, name)
    match = versions[versions["number"] == number]
    if match.empty:
        raise NotFoundError(f"dataset version {name}@{number} not found; GET /v1/datasets/{name}/versions lists them")
    return match, lineage_of_dataset(catalog, f"{name}@{number}")


@router.get("/{name}/versions/{number}", response_model=DatasetVersionDetailOut, responses=CSV_RESPONSE)
async def dataset_version(request: Request, name: Name, number: VersionNumber,
                          format: Format = None):
    """One version and its lineage: videos (split, masklets), composition (origin x verdict),
    reviewers and their effort, training runs and models trained on it. CSV: the lineage rows."""
    match, lineage = await run_in_threadpool(_version_detail, request.app.state.backend.catalog, name, number)
    if wants_csv(request, format):
        return csv_response(lineage, filename=f"{name}@{number}-lineage")
    version = _version_out(next(match.itertuples(index=False)))
    return DatasetVersionDetailOut(dataset=name, version=version, lineage=lineage_rows(lineage))


@router.get("/{name}/diff", response_model=DiffOut, responses=CSV_RESPONSE)
async def dataset_diff(request: Request, name: Name,
                       version_from: Annotated[int, Query(alias="from", ge=1, le=999_999_999)],
                       version_to: Annotated[int, Query(alias="to", ge=1, le=999_999_999)],
                       format: Format = None):
    """Masklets added, removed or changed (another revision) from version ``from`` to ``to``."""
    catalog = request.app.state.backend.catalog
    frame = await run_in_threadpool(diff_versions, catalog, f"{name}@{version_from}", f"{name}@{version_to}")
    if wants_csv(request, format):
        return csv_response(frame, filename=f"{name}-diff-{version_from}-{version_to}")
    changes = [DiffRow(masklet_id=int(r.masklet_id), change=r.change, revision_a=plain(r.revision_a),
                       revision_b=plain(r.revision_b), video_id=int(r.video_id), split=r.split, origin=r.origin)
               for r in frame.itertuples(index=False)]
    return DiffOut(dataset=name, version_from=version_from, version_to=version_to, changes=changes)
