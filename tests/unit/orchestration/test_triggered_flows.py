"""Which rounds a review event syncs, which datasets the retraining check visits."""

from __future__ import annotations

from datetime import UTC, datetime

from flows.cycle.retrain_check_flow import datasets_to_check
from flows.cycle.review_sync_flow import rounds_to_sync
from storage.catalog.rounds import RoundInfo


def _round(rid: int, dataset: str, status: str, project: int | None) -> RoundInfo:
    return RoundInfo(id=rid, dataset=dataset, status=status, model_version_id=1, budget=2,
                     label_studio_project_id=project, created_by="t", created_at=datetime(2026, 1, 1, tzinfo=UTC))


ROUNDS = [
    _round(1, "a", "closed", 10),
    _round(2, "a", "in_review", 11),
    _round(3, "b", "refining", 12),
    _round(4, "b", "generating", None),
    _round(5, "c", "in_review", 11),
    _round(6, "c", "created", None),
]


def test_an_event_syncs_only_the_open_rounds_of_its_project() -> None:
    assert rounds_to_sync(ROUNDS, 11) == [2, 5]
    assert rounds_to_sync(ROUNDS, 10) == []  # closed
    assert rounds_to_sync(ROUNDS, 999) == []


def test_the_safety_net_syncs_every_open_round_with_a_project() -> None:
    assert rounds_to_sync(ROUNDS, None) == [2, 3, 5]


def test_retrain_check_visits_each_dataset_with_rounds_once_in_order() -> None:
    assert datasets_to_check(ROUNDS, None) == ["a", "b", "c"]
    assert datasets_to_check(ROUNDS, "z") == ["z"]
    assert datasets_to_check([], None) == []
