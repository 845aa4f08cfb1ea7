"""Hold one slot of the global concurrency limit ``gpu`` around model work.

Use inside a flow or task: ``with gpu_slot(): masklets = generate(...)``. With a Prefect server
the block waits until a slot is free (the limit is the number of GPU workers, created by
``maskloop deploy``); the slot's lease is renewed while the block runs and expires
:data:`LEASE_S` seconds after its holder dies (kill -9), so a crash never blocks the GPU for long.
Without a server (embedded defaults, Prefect's ephemeral mode) there is nothing to share and the
block runs at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flows.orchestration.server_setup import GPU_LIMIT

#: Seconds a slot outlives a holder that stopped renewing it (the server's minimum is 60).
LEASE_S = 60.0


def _server_configured() -> bool:
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


@contextmanager
def gpu_slot(*, occupy: int = 1, timeout_s: float | None = None) -> Iterator[None]:
    """Acquire ``occupy`` slots of ``gpu`` (waits at most ``timeout_s`` seconds; None = forever)."""
    if not _server_configured():
        yield
        return
    from prefect.concurrency.sync import concurrency

    with concurrency(GPU_LIMIT, occupy=occupy, timeout_seconds=timeout_s, lease_duration=LEASE_S):
        yield
