"""Bearer tokens and the role matrix: 401 without/invalid/revoked token, 403 for a role without the
permission, and the principal recorded in the audit trail whatever the outcome."""

from __future__ import annotations

import json

import pytest

from flows.api.roles import ROLE_PERMISSIONS, allowed
from storage.catalog.api_tokens import create_token, revoke_token

LINEAGE_URLS = ("/v1/masklets/1/provenance", "/v1/videos/1/impact", "/v1/datasets/demo/versions",
                "/v1/datasets/demo/versions/1", "/v1/datasets/demo/diff?from=1&to=2", "/v1/models/seg/2/lineage",
                "/v1/models/seg/2/lineage.html")
AUDIT_URLS = ("/v1/audit/events", "/v1/audit/verify")


def test_role_matrix_is_what_the_docstring_says() -> None:
    assert {r: sorted(p) for r, p in ROLE_PERMISSIONS.items()} == {
        "auditor": ["audit.read", "lineage.read"], "admin": ["audit.read", "lineage.read"],
        "data_manager": ["lineage.read"], "ml_engineer": ["lineage.read"]}
    assert not allowed("nobody", "lineage.read")


@pytest.mark.parametrize("url", LINEAGE_URLS + AUDIT_URLS)
def test_no_token_is_401_with_a_bearer_challenge(client, url) -> None:
    response = client.get(url)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "maskloop api token create" in response.json()["detail"]


@pytest.mark.parametrize("header", ["Bearer mlk_not-a-real-token", "Basic YWxpY2U6c2VjcmV0", "Bearer ",
                                    "Bearer " + "x" * 5000, "mlk_token-without-scheme"])
def test_invalid_tokens_are_401(client, header) -> None:
    response = client.get("/v1/audit/verify", headers={"Authorization": header})
    assert response.status_code == 401 and response.json()["detail"]


@pytest.mark.parametrize("role", ["data_manager", "ml_engineer"])
@pytest.mark.parametrize("url", AUDIT_URLS)
def test_roles_without_audit_read_get_403(client, world, role, url) -> None:
    response = client.get(url, headers=world.auth(role))
    assert response.status_code == 403
    assert "auditor, admin" in response.json()["detail"]


@pytest.mark.parametrize("role", ["auditor", "admin", "data_manager", "ml_engineer"])
def test_every_role_may_read_lineage(client, world, role) -> None:
    for url in LINEAGE_URLS:
        assert client.get(url, headers=world.auth(role)).status_code == 200, url


@pytest.mark.parametrize("role", ["auditor", "admin"])
def test_auditor_and_admin_read_the_audit_trail(client, world, role) -> None:
    for url in AUDIT_URLS:
        assert client.get(url, headers=world.auth(role)).status_code == 200, url


def test_revoked_token_is_401_and_the_attempt_is_audited(client, world) -> None:
    new = create_token(world.catalog, name="short-lived", role="auditor", actor="root", actor_role="admin")
    headers = {"Authorization": f"Bearer {new.secret}"}
    assert client.get("/v1/audit/verify", headers=headers).status_code == 200
    revoke_token(world.catalog, name="short-lived", actor="root", actor_role="admin")
    response = client.get("/v1/audit/verify", headers=headers)
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    actor, role, entity, details = world.api_events()[-1]
    assert (actor, role, entity) == ("short-lived", "auditor", "api:/v1/audit/verify")
    assert json.loads(details)["status"] == 401
