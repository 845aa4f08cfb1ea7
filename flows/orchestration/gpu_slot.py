"""Hold one slot of the global concurrency limit ``gpu`` around model work.

Use inside a flow or task: ``with gpu_slot(): masklets = generate(...)``. With a Prefect server
the block waits until a slot is free (the limit is the number of GPU workers, created by
``maskloop deploy``); the slot's lease is renewed while the block runs and expires
:data:`LEASE_S` seconds after its holder dies (kill -9), so a crash never blocks the GPU for long.
Without a server (embedded defaults, Prefect's ephemeral mode) there is nothing to share and the
block runs at once.

Waiting: the block reads the limit every :data:`POLL_S` seconds and asks for the slot once one is
free. Asking straight away would leave the waiting to Prefect's own retry, which sleeps for the
``Retry-After`` the server answers: about the limit's average slot occupancy (seconds to tens of
seconds for model work), so the device sat idle that long after each hand-over while the next
run, already started and holding its frames, slept (measured: 0.5 to 11 s per hand-over, 37 s of
a 181 s round). Once the slot is held, the event :data:`ACQUIRED_EVENT` records how long the run
waited for it (payload ``waited_s``, seconds; ``occurred``: when the slot was granted), so a
round's queueing is visible (``bench/bench_orchestration.py`` counts it as orchestration).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from flows.orchestration.server_setup import GPU_LIMIT

#: Seconds a slot outlives a holder that stopped renewing it (the server's minimum is 60).
LEASE_S = 60.0
#: Seconds between two reads of the limit by a run waiting for a slot (a cheap GET; with the pool
#: limit of server_setup.PREFETCH runs per GPU worker, about one run per GPU worker waits).
POLL_S = 0.25
#: Event emitted once a slot is held: payload ``waited_s`` (float seconds) and ``limit``.
ACQUIRED_EVENT = "maskloop.gpu-slot.acquired"


def _server_configured() -> bool:
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


def _wait_until_free(*, occupy: int, asked: float, timeout_s: float | None, poll_s: float) -> None:
    """Return once ``occupy`` slots of ``gpu`` are free (or the limit does not exist / is inactive)."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        while True:
            try:
                limit = client.read_global_concurrency_limit_by_name(GPU_LIMIT)
            except ObjectNotFound:
                return  # no limit: Prefect's concurrency() lets the block run (with a warning)
            if not limit.active or limit.active_slots + occupy <= limit.limit:
                return
            if timeout_s is not None and time.monotonic() - asked + poll_s > timeout_s:
                raise TimeoutError(f"no free slot of the {GPU_LIMIT!r} limit within {timeout_s:.0f} s")
            time.sleep(poll_s)


def _emit_acquired(waited_s: float) -> None:
    from prefect.events import emit_event

    emit_event(
        ACQUIRED_EVENT,
        resource={"prefect.resource.id": f"maskloop.gpu-slot.{GPU_LIMIT}",
                  "prefect.resource.name": GPU_LIMIT},
        payload={"waited_s": round(waited_s, 3), "limit": GPU_LIMIT},
    )


@contextmanager
def gpu_slot(*, occupy: int = 1, timeout_s: float | None = None, poll_s: float = POLL_S) -> Iterator[None]:
    """Acquire ``occupy`` slots of ``gpu`` (waits at most ``timeout_s`` seconds, None = forever,
    looking every ``poll_s`` seconds); raises TimeoutError when the wait runs out."""
    if not _server_configured():
        yield
        return
    from prefect.concurrency.sync import concurrency

    asked = time.monotonic()
    _wait_until_free(occupy=occupy, asked=asked, timeout_s=timeout_s, poll_s=poll_s)
    # another waiter may take the slot first: then Prefect's own (slower) retries take over
    left = None if timeout_s is None else max(1.0, timeout_s - (time.monotonic() - asked))
    with concurrency(GPU_LIMIT, occupy=occupy, timeout_seconds=left, lease_duration=LEASE_S):
        _emit_acquired(time.monotonic() - asked)
        yield
