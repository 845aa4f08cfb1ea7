"""The ``gpu`` slot on a real Prefect server: a waiting run is woken by the release event.

Needs ``prefect`` in MASKLOOP_TEST_SERVICES (the default starts every service).
"""

from __future__ import annotations

import contextvars
import threading
import uuid
from typing import ClassVar

import pytest

from flows.orchestration import gpu_slot as slot
from flows.orchestration.event_watch import EventWatch
from flows.orchestration.server_setup import GPU_LIMIT

#: Long enough that only an event, never the fallback poll, can end a wait in these tests (s).
NO_POLL_S = 120.0


class _Spy(EventWatch):
    """The real watch, recording what each wait returned (True: an event woke it); ``waiting`` is
    set once a wait has begun."""

    woken: ClassVar[list[bool]] = []
    waiting = threading.Event()

    def wait(self, timeout_s: float) -> bool:
        _Spy.waiting.set()
        woke = super().wait(timeout_s)
        _Spy.woken.append(woke)
        return woke


@pytest.fixture()
def prefect_api(stack):  # type: ignore[no-untyped-def]
    if stack.prefect_api_url is None:
        pytest.fail("this test needs prefect in MASKLOOP_TEST_SERVICES")
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: stack.prefect_api_url}), get_client(sync_client=True) as client:
        old = client.read_global_concurrency_limit_by_name(GPU_LIMIT).limit if _exists(client) else None
        client.upsert_global_concurrency_limit_by_name(GPU_LIMIT, 1)
        try:
            yield client
        finally:
            client.upsert_global_concurrency_limit_by_name(GPU_LIMIT, old or 1)


def _exists(client) -> bool:  # type: ignore[no-untyped-def]
    from prefect.exceptions import ObjectNotFound

    try:
        client.read_global_concurrency_limit_by_name(GPU_LIMIT)
    except ObjectNotFound:
        return False
    return True


def test_a_release_event_wakes_the_watch_and_older_events_do_not(prefect_api) -> None:  # type: ignore[no-untyped-def]
    from prefect.events import emit_event
    from prefect.events.worker import EventsWorker

    name = f"maskloop.test.released.{uuid.uuid4().hex[:8]}"
    resource = {"prefect.resource.id": f"maskloop.test.{name}"}
    emit_event(name, resource=resource)  # before the watch: the server's backfill replays it
    EventsWorker.drain_all()
    with EventWatch(events=(name,)) as watch:
        assert watch.wait(2.0) is False
        emit_event(name, resource=resource)
        assert watch.wait(NO_POLL_S) is True


def test_a_run_waiting_for_the_slot_gets_it_when_the_holder_releases(prefect_api) -> None:  # type: ignore[no-untyped-def]
    holding, release = threading.Event(), threading.Event()

    def holder() -> None:
        with slot.gpu_slot(timeout_s=60):
            holding.set()
            release.wait(NO_POLL_S)

    def release_once_the_next_run_waits() -> None:
        _Spy.waiting.wait(NO_POLL_S)
        release.set()

    # threads start with an empty context: hand them this one's Prefect settings (the server)
    thread = threading.Thread(target=contextvars.copy_context().run, args=(holder,), daemon=True)
    thread.start()
    assert holding.wait(60), "the holder never got the slot"
    _Spy.woken, _Spy.waiting = [], threading.Event()
    threading.Thread(target=release_once_the_next_run_waits, daemon=True).start()
    lease = slot.acquire(prefect_api, occupy=1, timeout_s=3 * NO_POLL_S, poll_s=NO_POLL_S,
                         waiter=lambda: _Spy(events=(slot.RELEASED_EVENT,)))
    try:
        assert lease is not None
        assert _Spy.woken and _Spy.woken[-1] is True, "the release event did not wake the waiting run"
    finally:
        prefect_api.release_concurrency_slots_with_lease(lease_id=lease)
        thread.join(30)
    limit = prefect_api.read_global_concurrency_limit_by_name(GPU_LIMIT)
    assert limit.active_slots == 0
