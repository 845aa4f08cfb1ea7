"""Webhook payload parsing and shared-secret verification."""

from __future__ import annotations

import json

import pytest

from ui_adapters.errors import InvalidInputError
from ui_adapters.webhook import parse_webhook, verify_webhook_secret


def _body(action: str = "ANNOTATION_CREATED", **over: object) -> bytes:
    payload = {"action": action, "project": {"id": 4, "title": "p"}, "task": {"id": 12, "data": {}},
               "annotation": {"id": 99, "updated_at": "2026-11-21T10:00:00.5Z", "completed_by": 1}}
    payload.update(over)
    return json.dumps(payload).encode()


@pytest.mark.parametrize("action", ["ANNOTATION_CREATED", "ANNOTATION_UPDATED"])
def test_parse_review_actions(action: str) -> None:
    event = parse_webhook(_body(action))
    assert event is not None
    assert (event.action, event.project_id, event.task_id, event.annotation_id) == (action, 4, 12, 99)
    assert event.annotation_updated_at == "2026-11-21T10:00:00.5Z"
    assert event.dedupe_key == (4, 99, "2026-11-21T10:00:00.5Z")


def test_other_actions_are_ignored() -> None:
    assert parse_webhook(_body("TASKS_CREATED")) is None
    assert parse_webhook({"action": "PROJECT_UPDATED", "project": {"id": 1}}) is None


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b"{}", _body(annotation=None), _body(task={"id": "12"}), _body(project=None)],
)
def test_malformed_payloads_raise(body: bytes) -> None:
    with pytest.raises(InvalidInputError):
        parse_webhook(body)


def test_project_as_plain_id() -> None:
    event = parse_webhook(_body(project=4, task=12))
    assert event is not None and (event.project_id, event.task_id) == (4, 12)


def test_verify_secret() -> None:
    assert verify_webhook_secret("s3cret-value", "s3cret-value")
    assert not verify_webhook_secret("s3cret-valuf", "s3cret-value")
    assert not verify_webhook_secret(None, "s3cret-value")
    assert not verify_webhook_secret("", "")
    assert not verify_webhook_secret("s3cret-value", "")
