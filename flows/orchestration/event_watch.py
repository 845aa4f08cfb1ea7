"""Wake a waiter as soon as an event it waits for happens, instead of polling the Prefect API.

Two waits use it:
- a run waiting for the ``gpu`` slot (:mod:`flows.orchestration.gpu_slot`) wakes on
  ``maskloop.gpu-slot.released``: polling the limit cost up to one poll interval of an idle device
  per hand-over (measured: 0.1 to 0.4 s per hand-over at 0.25 s, about 1.2 s of a 46 s round), and
  polling faster costs the server a request per waiting run every interval;
- the generation fan-out (:mod:`flows.orchestration.fanout`) wakes on its flow runs' terminal state
  events and reads their states then, instead of reading every run every 0.25 s for the whole round.

The watch subscribes to the Prefect event stream in a background thread. Waiters keep a slow
fallback poll for what emits no event (a holder killed with -9 whose lease expires, a dropped stream).

Use: ``with EventWatch(events=(RELEASED_EVENT,)) as watch: ... watch.clear(); <read>; watch.wait(timeout_s)``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Collection
from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol, Self

_log = logging.getLogger(__name__)

#: Seconds the watch waits for its subscription before callers rely on the fallback poll alone.
CONNECT_TIMEOUT_S = 2.0


class Waiter(Protocol):
    """What a waiter needs between two reads of the state it waits for: :class:`EventWatch`, or a
    plain sleep where there is no event stream."""

    def clear(self) -> None: ...

    def wait(self, timeout_s: float) -> bool: ...


class EventWatch:
    """A background subscription to some event names; :meth:`wait` returns early when one arrives.

    ``events``: the event names (e.g. ``("maskloop.gpu-slot.released",)``). Events that occurred
    before the watch started are ignored. Failures of the stream are logged, never raised: callers
    keep their fallback poll.
    """

    def __init__(self, *, events: Collection[str]) -> None:
        self.events = tuple(events)
        self._arrived = threading.Event()
        self._connected = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Self:
        # loop and task exist before the thread runs, so __exit__ can always cancel the task; the
        # task copies this context (the Prefect settings, which the CLI may point at a server)
        self._loop = asyncio.new_event_loop()
        self._task = self._loop.create_task(self._listen())
        self._thread = threading.Thread(target=self._run, name="maskloop-event-watch", daemon=True)
        self._thread.start()
        self._connected.wait(CONNECT_TIMEOUT_S)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        assert self._loop is not None and self._task is not None and self._thread is not None
        try:
            self._loop.call_soon_threadsafe(self._task.cancel)
        except RuntimeError:  # the loop already closed: the stream ended by itself
            pass
        self._thread.join(timeout=5)

    def clear(self) -> None:
        """Forget events seen so far (call before reading the state the events announce)."""
        self._arrived.clear()

    def wait(self, timeout_s: float) -> bool:
        """Block until an event arrives after the last :meth:`clear` or ``timeout_s`` seconds pass;
        True when an event arrived."""
        return self._arrived.wait(timeout_s)

    def _run(self) -> None:
        assert self._loop is not None and self._task is not None
        try:
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # noqa: BLE001 (any failure: the fallback poll carries on)
            _log.warning("event stream for %s unavailable (%s); polling only", ", ".join(self.events), exc)
        finally:
            self._connected.set()
            self._loop.close()

    async def _listen(self) -> None:
        from prefect.events.clients import get_events_subscriber
        from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter

        since = datetime.now(UTC)
        flt = EventFilter(event=EventNameFilter(name=list(self.events)), occurred=EventOccurredFilter(since=since))
        async with get_events_subscriber(filter=flt, reconnection_attempts=2) as subscriber:
            self._connected.set()
            async for event in subscriber:
                if event.occurred >= since:
                    self._arrived.set()
