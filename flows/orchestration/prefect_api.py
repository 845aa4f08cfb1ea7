"""Point the Prefect client at the configured server for the duration of a block.

Deployments, schedules, automations and concurrency limits live on a Prefect server; Prefect's
ephemeral mode has no workers, so everything here needs ``MASKLOOP_PREFECT_API_URL`` (the local
stack writes it to stack.env).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flows.errors import UnavailableError
from flows.settings import Settings


def require_api_url(settings: Settings) -> str:
    """The Prefect API URL, or UnavailableError saying how to configure one."""
    if not settings.prefect_api_url:
        raise UnavailableError(
            "no Prefect server configured: start the local stack (`maskloop stack up`) or set"
            " MASKLOOP_PREFECT_API_URL to your server's /api URL"
        )
    return settings.prefect_api_url


@contextmanager
def prefect_server(settings: Settings) -> Iterator[str]:
    """Within the block Prefect clients talk to ``settings.prefect_api_url`` (yielded)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    url = require_api_url(settings)
    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield url


def api_healthy(url: str, *, timeout_s: float = 5.0) -> bool:
    """True when ``<url>/health`` answers 200."""
    import httpx

    try:
        return httpx.get(f"{url.rstrip('/')}/health", timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False
