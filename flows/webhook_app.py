"""ASGI app receiving Label Studio webhooks and turning them into Prefect events.

``create_app(secret=..., emit=...)`` builds a FastAPI app with:

- ``POST /webhooks/label-studio``: checks the shared secret header
  (``X-Maskloop-Webhook-Secret``, constant-time), parses ANNOTATION_CREATED / ANNOTATION_UPDATED
  with :mod:`ui_adapters.webhook` and emits the Prefect event ``maskloop.review.submitted`` on
  resource ``maskloop.labelstudio.project.<id>`` with payload ``{"project_id", "task_id",
  "annotation_id", "action", "annotation_updated_at"}``. A replayed delivery (same project,
  annotation and updated-at) is a no-op; the replay memory is bounded (``dedupe_size`` entries).
  Responses: 200 ``{"status": "emitted" | "duplicate" | "ignored"}``, 401 wrong/missing secret,
  400 malformed payload, 503 the event could not be emitted (Label Studio 1.23 logs a failed
  delivery and never redelivers it; the ``sync-reviews`` schedule picks such a review up).
- ``GET /healthz``: ``{"status": "ok"}``.

Serve it with ``uvicorn flows.webhook_app:app_from_settings --factory --host 127.0.0.1 --port 8765``
(:func:`app_from_settings` reads MASKLOOP_WEBHOOK_SECRET and MASKLOOP_PREFECT_API_URL).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ui_adapters.errors import InvalidInputError
from ui_adapters.records import WebhookEvent
from ui_adapters.webhook import WEBHOOK_SECRET_HEADER, parse_webhook, verify_webhook_secret

logger = logging.getLogger(__name__)

EVENT_NAME = "maskloop.review.submitted"
WEBHOOK_PATH = "/webhooks/label-studio"


def event_resource(event: WebhookEvent) -> dict[str, str]:
    """The Prefect resource of a review event (what automations match on)."""
    return {
        "prefect.resource.id": f"maskloop.labelstudio.project.{event.project_id}",
        "prefect.resource.name": f"Label Studio project {event.project_id}",
    }


def event_payload(event: WebhookEvent) -> dict[str, Any]:
    """The Prefect event payload of a review event."""
    return {
        "project_id": event.project_id,
        "task_id": event.task_id,
        "annotation_id": event.annotation_id,
        "action": event.action,
        "annotation_updated_at": event.annotation_updated_at,
    }


def emit_to_prefect(event: WebhookEvent) -> None:
    """Emit ``maskloop.review.submitted`` through Prefect's events client (PREFECT_API_URL)."""
    from prefect.events import emit_event

    sent = emit_event(
        event=EVENT_NAME,
        resource=event_resource(event),
        related=[
            {
                "prefect.resource.id": f"maskloop.labelstudio.task.{event.task_id}",
                "prefect.resource.role": "review-task",
            }
        ],
        payload=event_payload(event),
    )
    if sent is None:
        raise RuntimeError("Prefect did not accept the event; check PREFECT_API_URL")


class _Seen:
    """Bounded, thread-safe memory of delivered dedupe keys (oldest forgotten first)."""

    def __init__(self, size: int) -> None:
        self._keys: OrderedDict[tuple[int, int, str], None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def __contains__(self, key: tuple[int, int, str]) -> bool:
        with self._lock:
            return key in self._keys

    def add(self, key: tuple[int, int, str]) -> None:
        with self._lock:
            self._keys[key] = None
            self._keys.move_to_end(key)
            while len(self._keys) > self._size:
                self._keys.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)


def create_app(
    secret: str,
    emit: Callable[[WebhookEvent], None] = emit_to_prefect,
    *,
    dedupe_size: int = 10_000,
) -> FastAPI:
    """The webhook receiver app; ``emit`` is called once per new annotation change."""
    if not secret:
        raise ValueError("the webhook receiver needs a non-empty secret (MASKLOOP_WEBHOOK_SECRET)")
    if dedupe_size < 1:
        raise ValueError("dedupe_size must be >= 1")
    app = FastAPI(title="maskloop webhooks", docs_url=None, redoc_url=None, openapi_url=None)
    seen = _Seen(dedupe_size)
    lock = asyncio.Lock()
    app.state.seen = seen

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(WEBHOOK_PATH)
    async def label_studio_webhook(request: Request) -> JSONResponse:
        if not verify_webhook_secret(request.headers.get(WEBHOOK_SECRET_HEADER), secret):
            logger.warning("rejected a webhook delivery without the right secret header")
            return JSONResponse({"detail": "missing or wrong webhook secret"}, status_code=401)
        body = await request.body()
        try:
            event = parse_webhook(body)
        except InvalidInputError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=400)
        if event is None:
            return JSONResponse({"status": "ignored"})
        async with lock:  # one delivery of a key at a time, so a concurrent replay cannot emit twice
            if event.dedupe_key in seen:
                return JSONResponse({"status": "duplicate"})
            try:
                await run_in_threadpool(emit, event)
            except Exception as exc:  # noqa: BLE001 - any emitter failure is a 503 for the sender
                logger.error("could not emit %s for annotation %s: %s", EVENT_NAME, event.annotation_id, exc)
                return JSONResponse({"detail": "event not emitted; retry later"}, status_code=503)
            seen.add(event.dedupe_key)
        logger.info(
            "emitted %s: project %s task %s annotation %s",
            EVENT_NAME, event.project_id, event.task_id, event.annotation_id,
        )
        return JSONResponse({"status": "emitted"})

    return app


def app_from_settings() -> FastAPI:
    """uvicorn factory: the app with the secret and Prefect API URL from :func:`load_settings`."""
    from flows.settings import load_settings

    settings = load_settings()
    if settings.webhook_secret is None or not settings.webhook_secret.get_secret_value():
        raise ValueError("set MASKLOOP_WEBHOOK_SECRET before serving the webhook receiver")
    api_url = settings.prefect_api_url
    # Import Prefect's events client now, not on the first delivery: that import takes seconds on a
    # busy machine, while Label Studio waits WEBHOOK_TIMEOUT seconds (default 1) for the answer.
    import prefect.events
    import prefect.settings  # noqa: F401

    def emit(event: WebhookEvent) -> None:
        if api_url is None:
            emit_to_prefect(event)
            return
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            emit_to_prefect(event)

    return create_app(settings.webhook_secret.get_secret_value(), emit=emit)
