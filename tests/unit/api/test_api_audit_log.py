"""Every request leaves exactly one api.request audit event (who, what, status), and a request whose
event cannot be written is refused (503) instead of answered."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from flows.api import audit_log
from flows.api.app import create_app
from storage.audit.query import audit_events
from storage.audit.verify import verify_audit
from storage.errors import UnavailableError


def test_every_request_is_one_event(client, world) -> None:
    before = len(world.api_events())
    calls = [("/v1/masklets/1/provenance", "auditor", 200), ("/v1/masklets/999/provenance", "auditor", 404),
             ("/v1/audit/events", "ml_engineer", 403), ("/v1/videos/abc/impact", "auditor", 422),
             ("/v1/audit/verify", None, 401), ("/nowhere", None, 404), ("/openapi.json", None, 200)]
    for url, role, status in calls:
        assert client.get(url, headers=world.auth(role) if role else {}).status_code == status
    events = world.api_events()[before:]
    assert len(events) == len(calls)
    for (url, role, status), (actor, event_role, entity, details) in zip(calls, events):
        data = json.loads(details)
        assert (data["method"], data["path"], data["status"]) == ("GET", url, status)
        assert (actor, event_role) == ((f"{role}-token", role) if role else ("anonymous", "none"))
        assert entity.startswith("api:")
    assert events[0][2] == "api:/v1/masklets/{masklet_id}/provenance" and events[5][2] == "api:unmatched"
    assert verify_audit(world.catalog).ok


def test_tokens_never_reach_the_audit_trail(client, world) -> None:
    client.get("/v1/audit/verify", headers=world.auth("auditor"))
    text = audit_events(world.catalog, limit=None).to_csv()
    assert all(secret not in text for secret in world.tokens.values())


def test_unauditable_request_is_refused_with_503(world, monkeypatch) -> None:
    def broken(*_args, **_kwargs):
        raise UnavailableError("catalog database is down")

    monkeypatch.setattr(audit_log, "append_api_event", broken)
    with TestClient(create_app(world.settings)) as c:
        response = c.get("/v1/datasets/demo/versions", headers=world.auth("auditor"))
    assert response.status_code == 503
    assert "audit trail" in response.json()["detail"] and "versions" not in response.text


def test_unexpected_error_is_500_and_still_audited(world, monkeypatch) -> None:
    from flows.api.routers import datasets

    def bug(catalog, dataset):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(datasets, "list_versions", bug)
    before = len(world.api_events())
    with TestClient(create_app(world.settings), raise_server_exceptions=False) as c:
        response = c.get("/v1/datasets/demo/versions", headers=world.auth("auditor"))
    assert response.status_code == 500 and "secret internals" not in response.text
    events = world.api_events()[before:]
    assert len(events) == 1 and json.loads(events[0][3])["status"] == 500
