"""Label Studio webhooks: shared-secret check and payload parsing (no web framework here).

Label Studio (community edition) does not sign webhook bodies; it sends the custom ``headers``
configured on the webhook with every delivery. maskloop registers the webhook with the header
``X-Maskloop-Webhook-Secret: <secret>`` and the receiver compares it in constant time.

Payload (JSON): ``{"action": "ANNOTATION_CREATED" | "ANNOTATION_UPDATED" | ...,
"project": {"id": int, ...}, "task": {"id": int, ...}, "annotation": {"id": int,
"updated_at": str, ...}}``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ui_adapters.errors import InvalidInputError
from ui_adapters.records import WebhookEvent

WEBHOOK_SECRET_HEADER = "X-Maskloop-Webhook-Secret"
REVIEW_ACTIONS: frozenset[str] = frozenset({"ANNOTATION_CREATED", "ANNOTATION_UPDATED"})


def verify_webhook_secret(provided: str | None, expected: str) -> bool:
    """True when ``provided`` (the header value) equals ``expected`` (constant-time compare).

    An empty ``expected`` secret never verifies: a receiver must be configured with one.
    """
    if not expected or provided is None:
        return False
    return hmac.compare_digest(provided.encode("utf-8"), expected.encode("utf-8"))


def _id_of(payload: Mapping[str, Any], key: str) -> int:
    value = payload.get(key)
    if isinstance(value, Mapping):
        value = value.get("id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"webhook payload: {key}.id is {value!r}, expected an integer id")
    return value


def parse_webhook(body: bytes | str | Mapping[str, Any]) -> WebhookEvent | None:
    """Parse one delivery; None for actions other than ANNOTATION_CREATED / ANNOTATION_UPDATED.

    Raises InvalidInputError for a body that is not JSON or lacks project, task or annotation ids.
    """
    if isinstance(body, Mapping):
        payload: Any = body
    else:
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidInputError("webhook body is not JSON") from exc
    if not isinstance(payload, Mapping):
        raise InvalidInputError("webhook body must be a JSON object")
    action = payload.get("action")
    if not isinstance(action, str):
        raise InvalidInputError("webhook payload has no action")
    if action not in REVIEW_ACTIONS:
        return None
    annotation = payload.get("annotation")
    if not isinstance(annotation, Mapping):
        raise InvalidInputError(
            "webhook payload has no annotation object; enable send_payload on the webhook"
        )
    updated = annotation.get("updated_at")
    return WebhookEvent(
        action=action,
        project_id=_id_of(payload, "project"),
        task_id=_id_of(payload, "task"),
        annotation_id=_id_of(payload, "annotation"),
        annotation_updated_at=str(updated) if updated is not None else None,
        extra=MappingProxyType({"completed_by": annotation.get("completed_by")}),
    )
