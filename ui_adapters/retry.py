"""Bounded retries with exponential backoff for Label Studio calls that may meet a restarting server.

Only :class:`ui_adapters.errors.UnavailableError` (server unreachable, HTTP 5xx) is retried; every
other error is final at once. The operations retried are idempotent: opening a review reuses the
round's project and imports only tasks not there yet, fetching reviews only reads, closing only
removes webhooks and prefixes the title once. After the last attempt the error is raised again,
saying how many attempts were made.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from ui_adapters.errors import UnavailableError

T = TypeVar("T")
logger = logging.getLogger(__name__)


def call_with_retries(fn: Callable[[], T], *, what: str, attempts: int = 3, backoff_s: float = 1.0,
                      sleep: Callable[[float], None] = time.sleep) -> T:
    """Call ``fn``; on UnavailableError wait ``backoff_s * 2**k`` and try again, ``attempts`` in all."""
    if attempts < 1:
        raise ValueError("attempts must be >= 1")
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except UnavailableError as exc:
            if attempt == attempts:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise UnavailableError(f"{first} (gave up {what} after {attempts} attempts)") from exc
            delay = backoff_s * (2 ** (attempt - 1))
            logger.warning("%s: attempt %d of %d failed (%s); retrying in %.1f s", what, attempt, attempts,
                           type(exc.__cause__ or exc).__name__, delay)
            sleep(delay)
    raise AssertionError("unreachable")


def retried(what: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Method decorator: retry with the instance's ``retries`` and ``retry_backoff_s`` attributes."""
    def decorate(method: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(method)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> T:
            return call_with_retries(lambda: method(self, *args, **kwargs), what=what,
                                     attempts=getattr(self, "retries", 1),
                                     backoff_s=getattr(self, "retry_backoff_s", 1.0))
        return wrapper
    return decorate
