"""Translate Label Studio SDK / HTTP failures into ui_adapters errors (messages say what to do).

Never puts the API token or request headers into a message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from label_studio_sdk.core.api_error import ApiError

from ui_adapters.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    ReviewUIError,
    UnavailableError,
)


def _body_text(exc: ApiError) -> str:
    text = str(exc.body)
    return text if len(text) <= 300 else text[:300] + "..."


@contextmanager
def label_studio_errors(what: str, *, url: str) -> Iterator[None]:
    """Run a Label Studio call; re-raise its failures as ReviewUIError subclasses ``from exc``."""
    try:
        yield
    except ApiError as exc:
        status = exc.status_code or 0
        detail = _body_text(exc)
        if "reserved network address" in detail:  # Label Studio's SSRF protection (403)
            raise InvalidInputError(
                f"Label Studio at {url} refused {what}: its SSRF protection blocks that address ({detail});"
                " allow Label Studio to reach it (USE_DEFAULT_BANNED_SUBNETS / USER_ADDITIONAL_BANNED_SUBNETS,"
                " see infra/labelstudio/README.md) or use an address it accepts"
            ) from exc
        if status in (401, 403):
            raise ReviewUIError(
                f"Label Studio at {url} refused {what} (HTTP {status}): check the API token "
                "(MASKLOOP_LABEL_STUDIO_TOKEN) and that legacy tokens are enabled or a personal "
                "access token is used"
            ) from exc
        if status == 404:
            raise NotFoundError(f"Label Studio at {url}: {what} found nothing (HTTP 404): {detail}") from exc
        if status == 409:
            raise ConflictError(f"Label Studio at {url}: {what} conflicts: {detail}") from exc
        if 400 <= status < 500:
            raise InvalidInputError(f"Label Studio at {url} rejected {what} (HTTP {status}): {detail}") from exc
        raise UnavailableError(
            f"Label Studio at {url} failed during {what} (HTTP {status}); check the server log and retry"
        ) from exc
    except (httpx.TransportError, ConnectionError) as exc:
        raise UnavailableError(
            f"Label Studio at {url} is unreachable during {what} ({type(exc).__name__}); start it "
            "(maskloop stack up) or fix MASKLOOP_LABEL_STUDIO_URL, then retry"
        ) from exc
