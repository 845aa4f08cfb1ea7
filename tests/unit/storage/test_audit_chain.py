"""Audit trail on SQLite: every change audited in its transaction; verify finds edits, deletions, reorders."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from storage.audit.chain import GENESIS, event_hash
from storage.audit.query import audit_events
from storage.audit.verify import verify_audit
from storage.catalog.catalog import Catalog
from storage.catalog.synthetic import build_scenario

WHO = {"actor": "alice", "role": "data_manager"}


@pytest.fixture()
def catalog(tmp_path):
    cat = Catalog.open(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    build_scenario(cat)
    yield cat
    cat.close()


def _sql(catalog: Catalog, statement: str, **params: object) -> None:
    with catalog.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def test_every_change_is_audited_and_the_chain_verifies(catalog: Catalog) -> None:
    events = audit_events(catalog, limit=1000)
    assert events["id"].tolist() == list(range(1, len(events) + 1))
    assert events.loc[0, "prev_hash"] == GENESIS
    assert (events["prev_hash"].iloc[1:].values == events["hash"].iloc[:-1].values).all()
    actions = set(events["action"])
    assert {"dataset.create", "video.register", "model.register", "round.create", "masklet.create",
            "masklet.revise", "masklet.status", "review.add", "version.commit", "training_run.create",
            "training_run.finish"} <= actions
    check = verify_audit(catalog)
    assert check.ok and check.n_events == len(events) and check.head_hash == events["hash"].iloc[-1]


def test_filters(catalog: Catalog) -> None:
    assert set(audit_events(catalog, action="masklet.*", limit=1000)["action"]) == {
        "masklet.create", "masklet.revise", "masklet.status"}
    assert (audit_events(catalog, entity="masklet:1", limit=1000)["entity"] == "masklet:1").all()
    assert len(audit_events(catalog, limit=3)) == 3
    assert "ml_engineer" in set(audit_events(catalog, limit=1000)["role"])
    assert audit_events(catalog, actor="mallory").empty


def test_edit_is_detected_at_the_edited_event(catalog: Catalog) -> None:
    _sql(catalog, "UPDATE audit_event SET actor = 'mallory' WHERE id = 7")
    check = verify_audit(catalog)
    assert not check.ok and check.first_broken_id == 7 and "edited" in check.problem


def test_deletion_is_detected_at_the_next_event(catalog: Catalog) -> None:
    _sql(catalog, "DELETE FROM audit_event WHERE id = 5")
    check = verify_audit(catalog)
    assert not check.ok and check.first_broken_id == 6 and "missing" in check.problem


def test_deletion_with_renumbering_is_detected(catalog: Catalog) -> None:
    _sql(catalog, "DELETE FROM audit_event WHERE id = 5")
    _sql(catalog, "UPDATE audit_event SET id = id - 1 WHERE id > 5")
    check = verify_audit(catalog)
    assert not check.ok and check.first_broken_id == 5


def test_reordering_is_detected(catalog: Catalog) -> None:
    _sql(catalog, "UPDATE audit_event SET id = -1 WHERE id = 3")
    _sql(catalog, "UPDATE audit_event SET id = 3 WHERE id = 4")
    _sql(catalog, "UPDATE audit_event SET id = 4 WHERE id = -1")
    check = verify_audit(catalog)
    assert not check.ok and check.first_broken_id == 3


def test_a_forged_event_with_a_recomputed_hash_still_breaks_the_link(catalog: Catalog) -> None:
    row = audit_events(catalog, limit=1000).set_index("id").loc[4]
    digest = event_hash(id=4, at=row["at"].to_pydatetime(), actor="mallory", role=row["role"],
                        action=row["action"], entity=row["entity"], details=row["details"], prev_hash=row["prev_hash"])
    _sql(catalog, "UPDATE audit_event SET actor = 'mallory', hash = :h WHERE id = 4", h=digest)
    check = verify_audit(catalog)
    assert not check.ok and check.first_broken_id == 5 and "does not link" in check.problem


def test_an_anchor_catches_deletion_of_the_newest_events(catalog: Catalog) -> None:
    anchor = verify_audit(catalog).head_hash
    assert verify_audit(catalog, anchor=anchor).ok
    n = verify_audit(catalog).n_events
    _sql(catalog, f"DELETE FROM audit_event WHERE id >= {n - 1}")
    assert verify_audit(catalog).ok  # a truncated tail alone still forms a valid chain
    check = verify_audit(catalog, anchor=anchor)
    assert not check.ok and check.first_broken_id == n - 1 and "anchor" in check.problem
