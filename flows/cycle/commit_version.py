"""Commit the dataset's accepted masklets as an immutable version NAME@N (manifest in the store)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NONE

from flows.cycle.config import CycleConfig
from flows.cycle.workspace import Workspace
from flows.services import manifest_writer
from storage.records import DatasetVersionRef
from storage.versions.commit import NothingToCommitError, commit_version


@task(retries=2, retry_delay_seconds=2, cache_policy=NONE)
def commit_dataset_version(ws: Workspace, dataset: str, *, message: str, cfg: CycleConfig) -> DatasetVersionRef | None:
    """Commit version N+1 (None when no accepted masklet changed). I/O only: retried."""
    try:
        return commit_version(ws.catalog,
            dataset, message=message, split_fractions=cfg.split_fractions, **ws.who,
            manifest_writer=manifest_writer(ws.settings, ws.store))
    except NothingToCommitError:
        return None


def manifest_uri(ws: Workspace, ref: DatasetVersionRef) -> str:
    """Where the version's manifest lives: ``s3://bucket/key`` or a ``file://`` URI."""
    if ws.settings.uses_s3:
        return f"s3://{ws.settings.s3_bucket}/{ref.manifest_key}"
    return (ws.settings.objects_dir / ref.manifest_key).resolve().as_uri()
