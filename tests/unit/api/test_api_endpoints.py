"""Every endpoint on the embedded SQLite catalog: JSON shapes, CSV, 404 messages, pagination."""

from __future__ import annotations

import csv
import io

import pytest


def test_masklet_provenance_json_and_csv(client, world) -> None:
    masklet = world.scenario["masklets"][0]
    body = client.get(f"/v1/masklets/{masklet}/provenance", headers=world.auth("auditor")).json()
    assert body["subject"] == f"masklet:{masklet}"
    relations = [r["relation"] for r in body["rows"]]
    assert relations[:2] == ["masklet", "video"] and relations.count("revision") == 2
    assert [r["name"] for r in body["rows"] if r["relation"] == "dataset_version"] == ["demo@1", "demo@2"]
    assert all(r["at"] is None or r["at"].endswith("Z") for r in body["rows"])
    response = client.get(f"/v1/masklets/{masklet}/provenance?format=csv", headers=world.auth("auditor"))
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["relation"] for r in rows] == relations
    assert rows[0]["at"].endswith("Z")


def test_accept_header_selects_csv_and_format_json_wins(client, world) -> None:
    headers = {**world.auth("auditor"), "Accept": "text/csv"}
    assert client.get("/v1/videos/1/impact", headers=headers).text.startswith("relation,entity,name,at,actor,details")
    assert client.get("/v1/videos/1/impact?format=json", headers=headers).json()["subject"] == "video:1"


def test_video_impact_reaches_models(client, world) -> None:
    video = world.scenario["videos"][0].id
    rows = client.get(f"/v1/videos/{video}/impact", headers=world.auth("auditor")).json()["rows"]
    assert sorted(r["name"] for r in rows if r["relation"] == "model") == ["seg@2", "seg@3"]


def test_dataset_versions_detail_and_diff(client, world) -> None:
    auth = world.auth("data_manager")
    versions = client.get("/v1/datasets/demo/versions", headers=auth).json()["versions"]
    assert [(v["number"], v["parent_number"], v["message"]) for v in versions] == [(1, None, "first"), (2, 1, "second")]
    detail = client.get("/v1/datasets/demo/versions/2", headers=auth).json()
    assert detail["version"]["n_members"] == versions[1]["n_members"]
    assert {r["relation"] for r in detail["lineage"]} >= {"dataset_version", "video", "reviewer", "model"}
    diff = client.get("/v1/datasets/demo/diff?from=1&to=2", headers=auth).json()
    assert sorted(c["change"] for c in diff["changes"]) == ["changed", "removed"]
    rows = list(csv.DictReader(io.StringIO(client.get("/v1/datasets/demo/diff?from=1&to=2&format=csv",
                                                       headers=auth).text)))
    assert sorted(r["change"] for r in rows) == ["changed", "removed"]


def test_model_lineage_json_and_html(client, world) -> None:
    auth = world.auth("ml_engineer")
    rows = client.get("/v1/models/seg/3/lineage", headers=auth).json()["rows"]
    assert [r["name"] for r in rows if r["relation"] in ("model", "base_model")] == ["seg@3", "seg@2", "seg@1"]
    page = client.get("/v1/models/seg/3/lineage.html", headers=auth)
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "<svg" in page.text and "<script" not in page.text.lower()
    for label in ("seg@3", "seg@2", "run mlf-2", "demo@2", "round ", "rev0", "rev1"):
        assert label in page.text


@pytest.mark.parametrize(("url", "message"), [
    ("/v1/masklets/999999/provenance", "masklet 999999 not found"),
    ("/v1/videos/999999/impact", "video 999999 not found"),
    ("/v1/datasets/nope/versions", "dataset 'nope' not found"),
    ("/v1/datasets/demo/versions/9", "dataset version demo@9 not found"),
    ("/v1/datasets/demo/diff?from=1&to=9", "dataset version demo@9 not found"),
    ("/v1/models/seg/99/lineage", "model seg@99 not found"),
    ("/v1/models/nope/1/lineage.html", "model nope@1 not found"),
])
def test_unknown_ids_are_404_with_a_clear_message(client, world, url, message) -> None:
    response = client.get(url, headers=world.auth("auditor"))
    assert response.status_code == 404
    assert message in response.json()["detail"]


def test_audit_pages_walk_every_event_once(client, world) -> None:
    auth = world.auth("auditor")
    seen, cursor = [], 0
    while True:
        body = client.get(f"/v1/audit/events?limit=7&cursor={cursor}", headers=auth).json()
        seen += [e["id"] for e in body["events"]]
        if body["next_cursor"] is None:
            break
        assert len(body["events"]) == 7
        cursor = body["next_cursor"]
    assert seen == list(range(1, len(seen) + 1)) and len(seen) > 40


def test_audit_filters(client, world) -> None:
    auth = world.auth("admin")
    events = client.get("/v1/audit/events?action=review.*&limit=1000", headers=auth).json()["events"]
    assert events and all(e["action"].startswith("review.") for e in events)
    alice = client.get("/v1/audit/events?actor=alice&entity=dataset:*", headers=auth).json()["events"]
    assert alice and all(e["actor"] == "alice" and e["entity"].startswith("dataset:") for e in alice)
    assert client.get("/v1/audit/events?since=2999-01-01", headers=auth).json()["events"] == []
    assert client.get("/v1/audit/events?until=2000-01-01T00:00:00Z", headers=auth).json()["events"] == []
    response = client.get("/v1/audit/events?limit=2&format=csv", headers=auth)
    assert response.headers["x-next-cursor"] == "2" and response.text.startswith("id,at,actor,role,action")


def test_audit_verify_and_anchor(client, world) -> None:
    auth = world.auth("auditor")
    first = client.get("/v1/audit/verify", headers=auth).json()
    assert first["ok"] and first["n_events"] > 40
    again = client.get(f"/v1/audit/verify?anchor={first['head_hash']}", headers=auth).json()
    assert again["ok"] and again["n_events"] > first["n_events"]  # the first verify request was audited
    missing = client.get(f"/v1/audit/verify?anchor={'ab' * 32}", headers=auth).json()
    assert not missing["ok"] and "anchor" in missing["problem"]


def test_openapi_spec_describes_every_route_and_the_bearer_scheme(client) -> None:
    spec = client.get("/openapi.json").json()
    assert set(spec["paths"]) == {
        "/v1/masklets/{masklet_id}/provenance", "/v1/videos/{video_id}/impact", "/v1/datasets/{name}/versions",
        "/v1/datasets/{name}/versions/{number}", "/v1/datasets/{name}/diff", "/v1/models/{name}/{version}/lineage",
        "/v1/models/{name}/{version}/lineage.html", "/v1/audit/events", "/v1/audit/verify"}
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    limit = next(p for p in spec["paths"]["/v1/audit/events"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 1000
    assert client.get("/docs").status_code == 404  # no Swagger UI: it would load scripts from a CDN
