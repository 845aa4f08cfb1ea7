"""Hold one slot of the global concurrency limit ``gpu`` around model work.

Use inside a flow or task: ``with gpu_slot(): masklets = generate(...)``. With a Prefect server
the block waits until a slot is free (the limit is the number of GPU workers, created by
``maskloop deploy``); the slot is a lease that a background thread renews every
:data:`RENEW_S` seconds while the block runs, released when the block ends and expiring
:data:`LEASE_S` seconds after its holder dies (kill -9), so a crash never blocks the GPU for long.
Without a server (embedded defaults, Prefect's ephemeral mode) there is nothing to share and the
block runs at once; without a ``gpu`` limit on the server it runs at once too.

Waiting: when every slot is taken the block subscribes to :data:`RELEASED_EVENT`
(event_watch.py) and reads the limit again whenever a release arrives, and at the latest every
:data:`POLL_S` seconds (a killed holder emits nothing: its lease expires); it asks for a lease once
a slot looks free and goes back to waiting when another run took it first. A hand-over thus
costs one event's latency. Prefect's ``concurrency()``
waits differently: after a refusal it sleeps for the ``Retry-After`` the server answers, about
the limit's average slot occupancy (seconds to tens of seconds for model work), so the device sat
idle that long after each hand-over while the next run, started and holding its frames, slept
(measured: 0.5 to 11 s per hand-over, 37 s of a 181 s round). Leases are taken and renewed with
the Prefect client's own calls (``increment_concurrency_slots_with_lease``,
``renew_concurrency_lease``, ``release_concurrency_slots_with_lease``) and show the flow run as
their holder. Events: :data:`ACQUIRED_EVENT` (payload ``waited_s``: seconds from asking to the
lease; ``occurred``: when it was granted) and :data:`RELEASED_EVENT` (payload ``held_s``), so a
round's queueing is visible (``bench/bench_orchestration.py`` counts waits as orchestration).
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, Self
from uuid import UUID

from flows.orchestration.server_setup import GPU_LIMIT

if TYPE_CHECKING:
    from flows.orchestration.event_watch import Waiter

#: Seconds a slot outlives a holder that stopped renewing it (the server's minimum is 60).
LEASE_S = 60.0
#: Seconds between two renewals of a held lease.
RENEW_S = LEASE_S / 3
#: Seconds between two reads of the limit by a run waiting for a slot when no release event wakes
#: it first (a holder killed with -9, whose lease expires; a dropped event stream). A cheap GET;
#: with the pool limit of server_setup.PREFETCH runs per GPU worker, about one run per GPU worker waits.
POLL_S = 1.0
#: Event emitted once a slot is held: payload ``waited_s`` (float seconds) and ``limit``.
ACQUIRED_EVENT = "maskloop.gpu-slot.acquired"
#: Event emitted once a slot is given back: payload ``held_s`` (float seconds) and ``limit``.
RELEASED_EVENT = "maskloop.gpu-slot.released"

_log = logging.getLogger(__name__)


def _server_configured() -> bool:
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


def _holder() -> Any:
    """The current flow run as the lease's holder (None outside a flow run)."""
    from prefect.client.schemas.objects import ConcurrencyLeaseHolder
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None:
        return None
    return ConcurrencyLeaseHolder(type="flow_run", id=ctx.flow_run.id)


def _free(client: Any, occupy: int) -> bool:
    """True when ``occupy`` slots of ``gpu`` look free (or the limit is missing or inactive)."""
    from prefect.exceptions import ObjectNotFound

    try:
        limit = client.read_global_concurrency_limit_by_name(GPU_LIMIT)
    except ObjectNotFound:
        return True
    return not limit.active or limit.active_slots + occupy <= limit.limit


def _try_lease(client: Any, occupy: int, holder: Any) -> tuple[bool, UUID | None]:
    """(granted, lease id): (False, None) when every slot is taken (423), (True, None) when the
    server has no ``gpu`` limit (nothing to hold)."""
    import httpx

    try:
        response = client.increment_concurrency_slots_with_lease(
            names=[GPU_LIMIT], slots=occupy, mode="concurrency", lease_duration=LEASE_S, holder=holder
        )
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code == 423:
            return False, None
        raise
    data = response.json()
    return True, (UUID(data["lease_id"]) if data.get("limits") else None)


class _Sleep:
    """A waiter that only sleeps (no event stream): polling every ``poll_s`` seconds."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def clear(self) -> None:
        return None

    def wait(self, timeout_s: float) -> bool:
        time.sleep(timeout_s)
        return False


def acquire(client: Any, *, occupy: int, timeout_s: float | None, poll_s: float,
            waiter: Callable[[], AbstractContextManager[Waiter]] = _Sleep) -> UUID | None:
    """A lease on ``occupy`` slots of ``gpu`` (None: no such limit); TimeoutError after ``timeout_s``.

    Asks once; when every slot is taken, opens ``waiter()`` and reads the limit again each time it
    wakes (an event arrived, or ``poll_s`` seconds passed)."""
    holder = _holder()
    asked = time.monotonic()

    def attempt() -> tuple[bool, UUID | None]:
        return _try_lease(client, occupy, holder) if _free(client, occupy) else (False, None)

    granted, lease_id = attempt()
    if granted:
        return lease_id
    with waiter() as wake:
        while True:
            wake.clear()  # before reading: a release from now on ends the next wait at once
            granted, lease_id = attempt()
            if granted:
                return lease_id
            if timeout_s is not None and time.monotonic() - asked + poll_s > timeout_s:
                raise TimeoutError(f"no free slot of the {GPU_LIMIT!r} limit within {timeout_s:g} s")
            wake.wait(poll_s)


def _renew_until(lease_id: UUID, stop: threading.Event) -> None:
    """Renew the lease every :data:`RENEW_S` seconds until ``stop`` is set (failures are logged:
    the lease then expires :data:`LEASE_S` seconds after the last renewal)."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        while not stop.wait(RENEW_S):
            try:
                client.renew_concurrency_lease(lease_id=lease_id, lease_duration=LEASE_S)
            except Exception as exc:  # noqa: BLE001 (keep the model work going; the server may come back)
                _log.warning("could not renew the %r slot lease %s: %s", GPU_LIMIT, lease_id, exc)


def _emit(event: str, **payload: float) -> None:
    from prefect.events import emit_event

    emit_event(
        event,
        resource={"prefect.resource.id": f"maskloop.gpu-slot.{GPU_LIMIT}",
                  "prefect.resource.name": GPU_LIMIT},
        payload={**{k: round(v, 3) for k, v in payload.items()}, "limit": GPU_LIMIT},
    )


@contextmanager
def gpu_slot(*, occupy: int = 1, timeout_s: float | None = None, poll_s: float = POLL_S) -> Iterator[None]:
    """Hold ``occupy`` slots of ``gpu`` for the block (waits at most ``timeout_s`` seconds, None =
    forever, looking every ``poll_s`` seconds); raises TimeoutError when the wait runs out."""
    if not _server_configured():
        yield
        return
    from prefect.client.orchestration import get_client

    from flows.orchestration.event_watch import EventWatch

    asked = time.monotonic()
    with get_client(sync_client=True) as client:
        lease_id = acquire(client, occupy=occupy, timeout_s=timeout_s, poll_s=poll_s,
                           waiter=partial(EventWatch, events=(RELEASED_EVENT,)))
        if lease_id is None:
            yield
            return
        held = time.monotonic()
        _emit(ACQUIRED_EVENT, waited_s=held - asked)
        stop = threading.Event()
        # the thread sees this context's Prefect settings (the CLI points them at a server)
        renewer = threading.Thread(target=contextvars.copy_context().run, args=(_renew_until, lease_id, stop),
                                   name="gpu-slot-lease", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            try:
                client.release_concurrency_slots_with_lease(lease_id=lease_id)
            except Exception as exc:  # noqa: BLE001 (the lease expires LEASE_S seconds after its last renewal)
                _log.warning("could not release the %r slot lease %s: %s", GPU_LIMIT, lease_id, exc)
            _emit(RELEASED_EVENT, held_s=time.monotonic() - held)
