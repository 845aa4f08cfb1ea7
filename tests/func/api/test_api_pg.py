"""The auditor API on real PostgreSQL, reading as the SELECT-only maskloop_auditor role.

The service cannot write (a write through its connection fails), yet every request lands in the
hash chain through the SECURITY DEFINER function of migration 0003, whose hash is the same as
storage.audit.chain's (so `maskloop audit verify` keeps passing)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows.api.app import create_app
from storage.audit.query import audit_events
from storage.audit.verify import verify_audit
from storage.catalog.api_tokens import append_api_event, create_token, revoke_token
from storage.catalog.videos import ensure_dataset
from storage.errors import InvalidInputError

WRITES = (
    "INSERT INTO dataset (name, created_by, created_at) VALUES ('evil', 'eve', now())",
    "UPDATE api_token SET role = 'admin'",
    "UPDATE api_token SET revoked_at = NULL",
    "DELETE FROM masklet",
    ("INSERT INTO audit_event (id, at, actor, role, action, entity, details, prev_hash, hash) "
    "VALUES (100000, now(), 'eve', 'admin', 'x', 'y', '{}', 'p', 'h')"),
    "CREATE TABLE evil (id int)",
)


def _counts(world) -> dict[str, int]:
    with world.owner.engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        return {t: conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                for t in sorted(names) if t not in ("audit_event", "alembic_version")}


def test_the_service_connects_as_the_select_only_role(pg_client) -> None:
    backend = pg_client.app.state.backend
    assert backend.read_only and "maskloop_auditor" in backend.description and "***" in backend.description
    with backend.catalog.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT current_user")).scalar_one() == "maskloop_auditor"


@pytest.mark.parametrize("statement", WRITES)
def test_a_write_through_the_auditor_connection_fails(pg_client, pg_world, statement) -> None:
    before = _counts(pg_world)
    engine = pg_client.app.state.backend.catalog.engine
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), engine.begin() as conn:
        conn.execute(sa.text(statement))
    assert _counts(pg_world) == before and verify_audit(pg_world.owner).ok


def test_catalog_writes_and_forged_events_through_the_auditor_connection_fail(pg_client, pg_world) -> None:
    catalog = pg_client.app.state.backend.catalog
    with pytest.raises(InvalidInputError, match="permission denied"):
        ensure_dataset(catalog, "evil", actor="eve", role="admin")
    with pytest.raises(InvalidInputError, match="permission denied"):
        create_token(catalog, name="evil", role="admin", actor="eve", actor_role="admin")
    with pytest.raises(sa.exc.DBAPIError, match="api.\\* events only"), catalog.engine.begin() as conn:
        conn.execute(sa.text(
            "SELECT maskloop_append_api_event('eve', 'admin', 'dataset.create', 'dataset:1', '{}')"))
    with pytest.raises(sa.exc.DBAPIError, match="json"), catalog.engine.begin() as conn:
        conn.execute(sa.text("SELECT maskloop_append_api_event('eve', 'admin', 'api.request', 'x', 'not json')"))
    assert verify_audit(pg_world.owner).ok


def test_every_request_is_audited_through_the_definer_function(pg_client, pg_world) -> None:
    before = int(audit_events(pg_world.owner, limit=1)["id"].iloc[-1])
    calls = [("/v1/masklets/1/provenance", "auditor", 200), ("/v1/videos/424242/impact", "auditor", 404),
             ("/v1/audit/events?limit=5", "data_manager", 403), ("/v1/audit/verify", None, 401),
             ("/v1/models/seg/3/lineage.html", "ml_engineer", 200), ("/v1/audit/events?limit=1001", "admin", 422)]
    for url, role, status in calls:
        headers = {"Authorization": f"Bearer {pg_world.tokens[role]}"} if role else {}
        assert pg_client.get(url, headers=headers).status_code == status, url
    events = audit_events(pg_world.owner, limit=None)
    mine = events[events["id"] > before]
    assert mine["action"].tolist() == ["api.request"] * len(calls)
    assert mine["actor"].tolist() == [f"{r}-token" if r else "anonymous" for _, r, _ in calls]
    assert [json.loads(d)["status"] for d in mine["details"]] == [s for _, _, s in calls]
    assert verify_audit(pg_world.owner).ok


def test_revoked_token_is_refused_on_postgres(pg_client, pg_world) -> None:
    headers = {"Authorization": f"Bearer {pg_world.tokens['auditor']}"}
    assert pg_client.get("/v1/audit/verify", headers=headers).json()["ok"] is True
    revoke_token(pg_world.owner, name="auditor-token", actor="root", actor_role="admin")
    assert pg_client.get("/v1/audit/verify", headers=headers).status_code == 401


HOSTILE = (
    "/v1/audit/events?actor=%27%20OR%201%3D1%3B%20DROP%20TABLE%20masklet%3B%20--",
    "/v1/audit/events?entity=%00",
    "/v1/audit/events?action=%F0%9F%92%A3%27",
    "/v1/audit/events?limit=2147483648",
    "/v1/audit/events?cursor=2147483648",
    "/v1/audit/events?since=0001-01-01T00:00:00%2B01:00",
    "/v1/audit/events?until=9999-12-31T23:59:59-01:00",
    "/v1/audit/events?since=10000-01-01",
    "/v1/masklets/2147483648/provenance",
    "/v1/videos/%00/impact",
    "/v1/datasets/..%2F..%2Fpg_hba.conf/versions",
    "/v1/datasets/demo%00/versions",
    "/v1/datasets/demo/diff?from=1&to=1000000000",
    "/v1/models/seg/2147483648/lineage",
)


def test_hostile_requests_change_nothing_on_postgres(pg_client, pg_world) -> None:
    before = _counts(pg_world)
    headers = {"Authorization": f"Bearer {pg_world.tokens['admin']}"}
    for url in HOSTILE:
        status = pg_client.get(url, headers=headers).status_code
        assert 400 <= status < 500, (url, status)
    assert _counts(pg_world) == before
    check = verify_audit(pg_world.owner)
    assert check.ok
    events = audit_events(pg_world.owner, action="api.request", limit=len(HOSTILE))
    assert all(400 <= json.loads(d)["status"] < 500 for d in events["details"])


TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40)


def test_definer_function_hash_equals_the_python_chain(pg_world) -> None:
    """Hostile text (quotes, backslashes, control characters, U+2028, emoji) through the SQL hash."""
    with TestClient(create_app(pg_world.settings)) as client:
        catalog = client.app.state.backend.catalog

        @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(actor=TEXT.filter(bool), entity=TEXT, detail=TEXT)
        def append(actor: str, entity: str, detail: str) -> None:
            append_api_event(catalog, actor=actor, role="auditor", action="api.request", entity=entity,
                             details={"path": detail, "n": [1, 2.5, None, True]})

        append()
    check = verify_audit(pg_world.owner)
    assert check.ok, check.problem
    assert check.n_events > 40
