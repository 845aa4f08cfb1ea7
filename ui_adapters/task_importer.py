"""Import tasks into a Label Studio project in batches that respect the server's limits.

Label Studio caps one import request at ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (250 MB by default) and
imports synchronously in the community edition; batches of at most ``batch_size`` tasks and
``max_batch_bytes`` of JSON keep every request small and every failure local to one batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from label_studio_sdk import LabelStudio

from ui_adapters.errors import InvalidInputError
from ui_adapters.ls_errors import label_studio_errors

DEFAULT_BATCH_SIZE = 200
DEFAULT_MAX_BATCH_BYTES = 16 * 1024 * 1024


def batches(
    tasks: Sequence[dict[str, Any]], *, batch_size: int, max_batch_bytes: int
) -> Iterator[list[dict[str, Any]]]:
    """Split ``tasks`` in order into lists of <= ``batch_size`` tasks and <= ``max_batch_bytes``
    of JSON each; one task larger than ``max_batch_bytes`` raises InvalidInputError."""
    if batch_size < 1 or max_batch_bytes < 1:
        raise InvalidInputError("batch_size and max_batch_bytes must be positive")
    batch: list[dict[str, Any]] = []
    size = 2
    for task in tasks:
        n = len(json.dumps(task, separators=(",", ":"))) + 1
        if n + 2 > max_batch_bytes:
            raise InvalidInputError(
                f"one task is {n} bytes of JSON, over the {max_batch_bytes}-byte import limit; "
                "lower the frame cap (review_max_frames)"
            )
        if batch and (len(batch) >= batch_size or size + n > max_batch_bytes):
            yield batch
            batch, size = [], 2
        batch.append(task)
        size += n
    if batch:
        yield batch


def import_tasks(
    client: LabelStudio,
    *,
    project_id: int,
    tasks: Sequence[dict[str, Any]],
    url: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
) -> list[int]:
    """Import ``tasks`` (data + predictions) batch by batch; returns the new task ids in order."""
    task_ids: list[int] = []
    for batch in batches(tasks, batch_size=batch_size, max_batch_bytes=max_batch_bytes):
        with label_studio_errors(f"importing {len(batch)} tasks into project {project_id}", url=url):
            resp = client.projects.import_tasks(id=project_id, request=batch, return_task_ids=True)
        ids = list(resp.task_ids or [])
        if len(ids) != len(batch):
            raise InvalidInputError(
                f"Label Studio imported {len(ids)} of {len(batch)} tasks into project {project_id}; "
                "check the server log"
            )
        task_ids.extend(int(i) for i in ids)
    return task_ids
