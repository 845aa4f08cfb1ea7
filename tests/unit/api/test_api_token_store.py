"""API tokens in the catalog (storage.catalog.api_tokens): sha256 only, audited, never reused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from storage.audit.query import audit_events
from storage.audit.verify import verify_audit
from storage.catalog.api_tokens import (
    append_api_event,
    create_token,
    find_token,
    hash_token,
    list_tokens,
    revoke_token,
)
from storage.catalog.catalog import Catalog
from storage.errors import ConflictError, InvalidInputError, NotFoundError


@pytest.fixture()
def catalog(tmp_path):
    cat = Catalog.open(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    yield cat
    cat.close()


def test_only_the_sha256_is_stored_and_creation_is_audited(catalog, tmp_path) -> None:
    new = create_token(catalog, name="ext-auditor", role="auditor", actor="root", actor_role="admin")
    assert new.secret.startswith("mlk_") and len(new.secret) > 40
    with catalog.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT name, role, token_sha256 FROM api_token")).all()
    assert [tuple(r) for r in stored] == [("ext-auditor", "auditor", hash_token(new.secret))]
    catalog.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("catalog.sqlite*"))
    assert new.secret.encode() not in raw
    events = audit_events(Catalog.open(f"sqlite:///{tmp_path / 'catalog.sqlite'}"), action="api_token.*")
    assert events[["actor", "role", "action", "entity"]].values.tolist() == [
        ["root", "admin", "api_token.create", "api_token:1"]]
    assert new.secret not in events["details"].iloc[0] and hash_token(new.secret) not in events["details"].iloc[0]


def test_two_tokens_differ_and_find_token_matches_only_the_right_one(catalog) -> None:
    a = create_token(catalog, name="a", role="auditor", actor="root", actor_role="admin")
    b = create_token(catalog, name="b", role="ml_engineer", actor="root", actor_role="admin")
    assert a.secret != b.secret
    assert find_token(catalog, a.secret).name == "a" and find_token(catalog, b.secret).role == "ml_engineer"
    assert find_token(catalog, a.secret + "x") is None and find_token(catalog, "") is None
    assert find_token(catalog, "x" * 10_000) is None


def test_revoke_list_and_refusals(catalog) -> None:
    create_token(catalog, name="temp", role="auditor", actor="root", actor_role="data_manager")
    with pytest.raises(ConflictError, match="exists already"):
        create_token(catalog, name="temp", role="auditor", actor="root", actor_role="admin")
    with pytest.raises(InvalidInputError, match="read-only"):
        create_token(catalog, name="other", role="auditor", actor="eve", actor_role="auditor")
    with pytest.raises(InvalidInputError, match="only the admin role"):
        create_token(catalog, name="boss", role="admin", actor="eve", actor_role="data_manager")
    with pytest.raises(InvalidInputError, match="unknown API role"):
        create_token(catalog, name="other", role="superuser", actor="root", actor_role="admin")
    with pytest.raises(InvalidInputError, match="invalid token name"):
        create_token(catalog, name="../etc", role="auditor", actor="root", actor_role="admin")
    info = revoke_token(catalog, name="temp", actor="root", actor_role="admin")
    assert not info.active
    with pytest.raises(ConflictError, match="already revoked"):
        revoke_token(catalog, name="temp", actor="root", actor_role="admin")
    with pytest.raises(NotFoundError, match="no API token named 'ghost'"):
        revoke_token(catalog, name="ghost", actor="root", actor_role="admin")
    assert [(t.name, t.active) for t in list_tokens(catalog)] == [("temp", False)]
    assert verify_audit(catalog).ok


def test_append_api_event_accepts_only_api_actions(catalog) -> None:
    append_api_event(catalog, actor="t", role="auditor", action="api.request", entity="api:/x",
                     details={"path": "/x\u2028\"\\", "status": 200})
    with pytest.raises(InvalidInputError, match="api"):
        append_api_event(catalog, actor="t", role="auditor", action="dataset.create", entity="dataset:1", details={})
    with pytest.raises(InvalidInputError, match="NUL"):
        append_api_event(catalog, actor="t\x00", role="auditor", action="api.request", entity="api:/x", details={})
    assert verify_audit(catalog).ok


def test_sqlite_schema_matches_the_table_definitions(catalog) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    with catalog.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata) == []
        assert "api_token" in sa.inspect(conn).get_table_names()
