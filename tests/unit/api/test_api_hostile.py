"""Hostile input gets 4xx and changes nothing: same rows in every table, the audit chain intact
(and grown by exactly one api.request event per request)."""

from __future__ import annotations

import json

import pytest

from storage.audit.verify import verify_audit
from storage.catalog.api_tokens import hash_token

HOSTILE = (
    "/v1/audit/events?actor=%27%20OR%201%3D1%3B%20DROP%20TABLE%20masklet%3B%20--",
    "/v1/audit/events?entity=masklet%3A1%27%20UNION%20SELECT%20token_sha256%20FROM%20api_token--",
    "/v1/audit/events?action=review.create%27%3BDELETE%20FROM%20review%3B--",
    "/v1/audit/events?actor=%00",
    "/v1/audit/events?entity=%25",
    "/v1/audit/events?limit=1000000",
    "/v1/audit/events?limit=0",
    "/v1/audit/events?limit=-1",
    "/v1/audit/events?cursor=-5",
    "/v1/audit/events?cursor=99999999999999999999",
    "/v1/audit/events?since=notadate",
    "/v1/audit/events?since=2026-13-45",
    "/v1/audit/events?until=2026-01-01T25:61:00",
    "/v1/audit/events?since=0001-01-01T00:00:00%2B01:00",
    "/v1/audit/events?format=xml",
    "/v1/audit/verify?anchor=%27%20OR%20%27%27%3D%27",
    "/v1/masklets/1%3BDROP%20TABLE%20masklet/provenance",
    "/v1/masklets/-1/provenance",
    "/v1/masklets/0/provenance",
    "/v1/masklets/99999999999999999999999/provenance",
    "/v1/videos/1%20OR%201%3D1/impact",
    "/v1/datasets/..%2F..%2F..%2Fetc%2Fpasswd/versions",
    "/v1/datasets/%2e%2e/versions",
    "/v1/datasets/demo%27%3B--/versions",
    "/v1/datasets/demo/versions/1%20OR%201=1",
    "/v1/datasets/demo/diff?from=1%3BDROP&to=2",
    "/v1/datasets/demo/diff?from=1",
    "/v1/models/..%2Fseg/1/lineage",
    "/v1/models/seg/1%27--/lineage",
    "/v1/models/seg/1e400/lineage.html",
    "/v1/models/" + "a" * 300 + "/1/lineage",
)


def test_hostile_requests_get_4xx_and_change_nothing(client, world) -> None:
    before = world.table_counts()
    events_before = len(world.api_events())
    auth = world.auth("admin")
    hashes = [hash_token(secret) for secret in world.tokens.values()]
    statuses = {}
    for url in HOSTILE:
        response = client.get(url, headers=auth)
        statuses[url] = response.status_code
        assert 400 <= response.status_code < 500, (url, response.status_code, response.text[:200])
        assert not any(h in response.text for h in hashes)
    assert world.table_counts() == before
    assert len(world.api_events()) == events_before + len(HOSTILE)
    assert verify_audit(world.catalog).ok
    assert statuses["/v1/audit/events?since=0001-01-01T00:00:00%2B01:00"] == 400


def test_injection_text_is_recorded_verbatim_not_executed(client, world) -> None:
    url = "/v1/audit/events?actor=x%27%3B%20DROP%20TABLE%20audit_event%3B--"
    assert client.get(url, headers=world.auth("auditor")).status_code == 422
    details = json.loads(world.api_events()[-1][3])
    assert details["query"] == "actor=x%27%3B%20DROP%20TABLE%20audit_event%3B--" and details["status"] == 422
    assert verify_audit(world.catalog).ok


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_write_methods_do_not_exist(client, world, method) -> None:
    before = world.table_counts()
    response = client.request(method, "/v1/datasets/demo/versions", headers=world.auth("admin"))
    assert response.status_code == 405
    assert world.table_counts() == before
