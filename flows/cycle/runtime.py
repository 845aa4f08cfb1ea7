"""How cycle flows run: against a Prefect server when one is configured, else Prefect's
ephemeral in-process mode with its own ``PREFECT_HOME`` under ``MASKLOOP_HOME``.

``with prefect_runtime(settings):`` wraps a top-level call of a flow (CLI commands, the demo).
Flows called inside it need nothing else. The ephemeral server takes ~15 s to start once per
process, so the cycle keeps flow and task counts low (one task per video, never per frame).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flows.settings import Settings

#: Seconds the ephemeral server may take to start (Prefect's default 20 s is too short on 2 busy cores).
EPHEMERAL_STARTUP_S = 180


def prefect_home(settings: Settings) -> Path:
    """Prefect's home (database, results) for the embedded mode: ``<home>/prefect``."""
    return (settings.home / "prefect").resolve()


@contextmanager
def prefect_runtime(settings: Settings) -> Iterator[str]:
    """Point Prefect at the configured server, or at an ephemeral one under ``<home>/prefect``.

    Yields the mode: ``"server"`` or ``"ephemeral"``.
    """
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_HOME,
        PREFECT_LOGGING_LEVEL,
        PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        PREFECT_SERVER_EPHEMERAL_ENABLED,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        temporary_settings,
    )

    if settings.prefect_api_url:
        with temporary_settings(updates={PREFECT_API_URL: settings.prefect_api_url}):
            yield "server"
        return
    home = prefect_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    updates = {PREFECT_HOME: str(home), PREFECT_SERVER_EPHEMERAL_ENABLED: True, PREFECT_LOGGING_LEVEL: "WARNING",
               PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW: "ignore", PREFECT_SERVER_ANALYTICS_ENABLED: False,
               PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS: EPHEMERAL_STARTUP_S}
    with temporary_settings(updates=updates, restore_defaults={PREFECT_API_URL}):
        yield "ephemeral"


def server_configured() -> bool:
    """True when this process talks to a Prefect server (not the ephemeral mode)."""
    from prefect.settings import PREFECT_API_URL

    return bool(PREFECT_API_URL.value())


def call(step: Any, /, *args: Any, **kwargs: Any) -> Any:
    """Call a Prefect task or flow inside a flow run (tracked: retries, states), or its plain
    function outside one (unit tests calling ``flow.fn()``, library use without Prefect);
    ``quote()``-d arguments are unwrapped for the plain call."""
    from prefect.context import FlowRunContext
    from prefect.utilities.annotations import BaseAnnotation

    if FlowRunContext.get() is None:
        def plain(value: Any) -> Any:
            return value.unwrap() if isinstance(value, BaseAnnotation) else value

        return step.fn(*[plain(a) for a in args], **{k: plain(v) for k, v in kwargs.items()})
    return step(*args, **kwargs)
