"""flows.webhook_app: secret check, parsing, emitting, replay no-op (TestClient, injected emitter)."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from flows.webhook_app import EVENT_NAME, WEBHOOK_PATH, create_app, event_payload, event_resource
from ui_adapters.records import WebhookEvent
from ui_adapters.webhook import WEBHOOK_SECRET_HEADER

SECRET = "webhook-secret-for-tests-0123456789"


def _body(annotation_id: int = 99, updated: str = "2026-11-21T10:00:00Z", action: str = "ANNOTATION_CREATED") -> bytes:
    return json.dumps({"action": action, "project": {"id": 4}, "task": {"id": 12},
                       "annotation": {"id": annotation_id, "updated_at": updated}}).encode()


@pytest.fixture()
def emitted() -> list[WebhookEvent]:
    return []


@pytest.fixture()
def client(emitted: list[WebhookEvent]) -> TestClient:
    return TestClient(create_app(SECRET, emit=emitted.append, dedupe_size=3))


def _post(client: TestClient, body: bytes, secret: str | None = SECRET):  # type: ignore[no-untyped-def]
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[WEBHOOK_SECRET_HEADER] = secret
    return client.post(WEBHOOK_PATH, content=body, headers=headers)


def test_emits_once_and_replay_is_a_noop(client: TestClient, emitted: list[WebhookEvent]) -> None:
    first = _post(client, _body())
    assert first.status_code == 200 and first.json() == {"status": "emitted"}
    replay = _post(client, _body())
    assert replay.status_code == 200 and replay.json() == {"status": "duplicate"}
    assert len(emitted) == 1
    event = emitted[0]
    assert (event.project_id, event.task_id, event.annotation_id) == (4, 12, 99)
    assert event_resource(event)["prefect.resource.id"] == "maskloop.labelstudio.project.4"
    assert event_payload(event) == {"project_id": 4, "task_id": 12, "annotation_id": 99,
                                    "action": "ANNOTATION_CREATED",
                                    "annotation_updated_at": "2026-11-21T10:00:00Z"}
    assert EVENT_NAME == "maskloop.review.submitted"


def test_updated_annotation_emits_again(client: TestClient, emitted: list[WebhookEvent]) -> None:
    _post(client, _body())
    resp = _post(client, _body(updated="2026-11-21T10:09:00Z", action="ANNOTATION_UPDATED"))
    assert resp.json() == {"status": "emitted"}
    assert [e.action for e in emitted] == ["ANNOTATION_CREATED", "ANNOTATION_UPDATED"]


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x"])
def test_wrong_secret_is_401_and_emits_nothing(client: TestClient, emitted: list[WebhookEvent],
                                               secret: str | None) -> None:
    resp = _post(client, _body(), secret=secret)
    assert resp.status_code == 401 and emitted == []


def test_malformed_and_ignored(client: TestClient, emitted: list[WebhookEvent]) -> None:
    assert _post(client, b"{not json").status_code == 400
    assert _post(client, json.dumps({"action": "ANNOTATION_CREATED"}).encode()).status_code == 400
    ignored = _post(client, json.dumps({"action": "TASKS_CREATED", "project": {"id": 4}}).encode())
    assert ignored.status_code == 200 and ignored.json() == {"status": "ignored"}
    assert emitted == []


def test_dedupe_memory_is_bounded(client: TestClient, emitted: list[WebhookEvent]) -> None:
    for aid in range(5):
        _post(client, _body(annotation_id=aid))
    assert len(client.app.state.seen) == 3  # type: ignore[attr-defined]
    assert _post(client, _body(annotation_id=4)).json() == {"status": "duplicate"}
    assert _post(client, _body(annotation_id=0)).json() == {"status": "emitted"}  # forgotten
    assert len(emitted) == 6


def test_emitter_failure_is_503_and_can_be_redelivered(emitted: list[WebhookEvent]) -> None:
    calls = {"n": 0}

    def flaky(event: WebhookEvent) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("prefect down")
        emitted.append(event)

    client = TestClient(create_app(SECRET, emit=flaky))
    assert _post(client, _body()).status_code == 503
    assert _post(client, _body()).json() == {"status": "emitted"}
    assert len(emitted) == 1


def test_secret_never_logged(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    _post(client, _body())
    _post(client, _body(), secret="wrong-secret-value")
    assert SECRET not in caplog.text and "wrong-secret-value" not in caplog.text


def test_app_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        create_app("", emit=lambda e: None)
    assert TestClient(create_app(SECRET, emit=lambda e: None)).get("/healthz").json() == {"status": "ok"}


def test_app_from_settings_needs_the_secret(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from flows.webhook_app import app_from_settings

    monkeypatch.setenv("MASKLOOP_HOME", str(tmp_path))
    monkeypatch.delenv("MASKLOOP_WEBHOOK_SECRET", raising=False)
    with pytest.raises(ValueError, match="MASKLOOP_WEBHOOK_SECRET"):
        app_from_settings()
    monkeypatch.setenv("MASKLOOP_WEBHOOK_SECRET", SECRET)
    client = TestClient(app_from_settings())
    assert client.post(WEBHOOK_PATH, content=_body(), headers={WEBHOOK_SECRET_HEADER: "x"}).status_code == 401
