"""Audit trail on PostgreSQL: tampering as the superuser (triggers bypassed) is found by verify."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from storage.audit.verify import verify_audit
from storage.catalog.catalog import Catalog
from storage.catalog.synthetic import build_scenario


@pytest.fixture()
def pg_catalog(pg_url):
    cat = Catalog.open(pg_url, auto_upgrade=True)
    build_scenario(cat)
    yield cat
    cat.close()


def _tamper(catalog: Catalog, *statements: str) -> None:
    """Run statements as the superuser with triggers disabled for this session."""
    with catalog.engine.begin() as conn:
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            conn.execute(sa.text(statement))


def test_untouched_chain_verifies(pg_catalog: Catalog) -> None:
    check = verify_audit(pg_catalog)
    assert check.ok and check.n_events > 30


def test_edit_as_superuser_is_named(pg_catalog: Catalog) -> None:
    _tamper(pg_catalog, "UPDATE audit_event SET details = '{\"verdict\":\"satisfactory\"}' WHERE id = 12")
    check = verify_audit(pg_catalog)
    assert (check.ok, check.first_broken_id) == (False, 12) and "edited" in check.problem


def test_delete_as_superuser_is_named(pg_catalog: Catalog) -> None:
    _tamper(pg_catalog, "DELETE FROM audit_event WHERE id = 20")
    check = verify_audit(pg_catalog)
    assert (check.ok, check.first_broken_id) == (False, 21)


def test_reorder_as_superuser_is_named(pg_catalog: Catalog) -> None:
    _tamper(pg_catalog, "UPDATE audit_event SET id = -1 WHERE id = 10",
            "UPDATE audit_event SET id = 10 WHERE id = 11", "UPDATE audit_event SET id = 11 WHERE id = -1")
    check = verify_audit(pg_catalog)
    assert (check.ok, check.first_broken_id) == (False, 10)


def test_trigger_blocks_tampering_without_the_bypass(pg_catalog: Catalog) -> None:
    with pytest.raises(sa.exc.DBAPIError, match="immutable"), pg_catalog.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_event SET actor = 'mallory' WHERE id = 3"))
    assert verify_audit(pg_catalog).ok
