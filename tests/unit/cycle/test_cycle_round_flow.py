"""A round's flow logic on the embedded catalog: selection, idempotent generation, the oracle
review with refinement, closing, and the round's figures and report."""

from __future__ import annotations

from pathlib import Path

import pytest
from cycle_helpers import DATASET, TEST_CONFIG, register_builtin

from flows.cycle.close_round import close_round
from flows.cycle.create_round import candidate_videos, plan_round
from flows.cycle.generate_flow import generate_video_masklets
from flows.cycle.refine import refine_round
from flows.cycle.reviewer_oracle import oracle_pass
from flows.cycle.round_report import round_stats
from flows.report.html_report import write_report
from storage.catalog.reviews import round_reviews
from storage.catalog.rounds import get_round, round_masklets, round_videos, set_round_status
from storage.errors import ConflictError as StorageConflictError
from storage.errors import NotFoundError as StorageNotFoundError


def _round(ws, n: int = 2) -> int:
    register_builtin(ws)
    return plan_round(ws, dataset=DATASET, n_videos=n, cfg=TEST_CONFIG).round_id


def test_round_picks_unannotated_training_videos_with_the_champion(cycle_ws) -> None:
    first = _round(cycle_ws, n=1)
    rnd = get_round(cycle_ws.catalog, first)
    assert rnd.status == "created" and rnd.model_version_id is not None
    picked = round_videos(cycle_ws.catalog, first)
    assert len(picked) == 1
    generate_video_masklets.fn(first, picked[0], settings=cycle_ws.settings, config=TEST_CONFIG)
    remaining = candidate_videos(cycle_ws, DATASET, cfg=TEST_CONFIG, priority="unannotated")
    assert picked[0] not in remaining and len(remaining) == 1  # the val video is never picked
    with pytest.raises(StorageNotFoundError):
        plan_round(cycle_ws, dataset="no-such", n_videos=1, cfg=TEST_CONFIG)


def test_generation_is_idempotent_per_round_video_model_params(cycle_ws) -> None:
    round_id = _round(cycle_ws)
    video = round_videos(cycle_ws.catalog, round_id)[0]
    first = generate_video_masklets.fn(round_id, video, settings=cycle_ws.settings, config=TEST_CONFIG)
    again = generate_video_masklets.fn(round_id, video, settings=cycle_ws.settings, config=TEST_CONFIG)
    assert first.created and not again.created
    assert first.masklet_ids and again.masklet_ids == first.masklet_ids
    rows = round_masklets(cycle_ws.catalog, round_id)
    assert sorted(rows["masklet_id"]) == sorted(first.masklet_ids)
    assert set(rows["status"]) == {"in_review"} and set(rows["origin"]) == {"auto"}


def test_oracle_review_refine_close_accounts_effort(cycle_ws, tmp_path: Path) -> None:
    round_id = _round(cycle_ws)
    for video in round_videos(cycle_ws.catalog, round_id):
        generate_video_masklets.fn(round_id, video, settings=cycle_ws.settings, config=TEST_CONFIG)
    set_round_status(cycle_ws.catalog, round_id, "in_review", **cycle_ws.who)
    first = oracle_pass.fn(cycle_ws, round_id, cfg=TEST_CONFIG, first=True, final=False)
    assert first.reviewed == len(round_masklets(cycle_ws.catalog, round_id)) - first.manual
    n_reviews = len(round_reviews(cycle_ws.catalog, round_id))
    assert oracle_pass.fn(cycle_ws, round_id, cfg=TEST_CONFIG, first=False, final=False).reviewed >= 0
    refined = refine_round.fn(cycle_ws, round_id)
    rows = round_masklets(cycle_ws.catalog, round_id)
    assert not (rows["status"] == "needs_fix").any()
    for mid in refined.refined:  # corrected revision (reviewer) then the refinement
        assert int(rows.loc[rows["masklet_id"] == mid, "revision"].iloc[0]) >= 3
    oracle_pass.fn(cycle_ws, round_id, cfg=TEST_CONFIG, first=False, final=True)
    rows = round_masklets(cycle_ws.catalog, round_id)
    assert set(rows["status"]) <= {"accepted", "rejected"}
    reviews = round_reviews(cycle_ws.catalog, round_id)
    assert len(reviews) >= n_reviews and reviews["external_id"].is_unique
    assert oracle_pass.fn(cycle_ws, round_id, cfg=TEST_CONFIG, first=False, final=True).reviewed == 0
    assert close_round(cycle_ws, round_id)
    assert get_round(cycle_ws.catalog, round_id).status == "closed"
    with pytest.raises(StorageConflictError):
        set_round_status(cycle_ws.catalog, round_id, "in_review", **cycle_ws.who)
    stats = round_stats(cycle_ws, round_id)
    assert stats.accepted + stats.rejected == len(rows)
    assert stats.frames_edited == int(reviews["frames_edited"].sum()) and stats.clicks == int(reviews["clicks"].sum())
    assert stats.wall_seconds >= 0 and stats.status == "closed"
    page = write_report(cycle_ws, [round_id], tmp_path / "r.html").read_text()
    assert "data:image/png;base64," in page and f"Round {round_id}" in page
