"""A round reviewed through the ReviewUI protocol (an in-memory UI standing in for Label Studio):
the run stops at ``in_review``, each sync records what arrived (idempotently), refines corrected
masklets and reopens them, and the round closes once every masklet is decided."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from cycle_helpers import DATASET, TEST_CONFIG, register_builtin

from flows.cycle.annotation_round import advance_round
from flows.cycle.create_round import plan_round
from storage.catalog.reviews import round_reviews
from storage.catalog.rounds import get_round, round_masklets
from storage.catalog.videos import get_video
from storage.masks.rle import encode_rle
from ui_adapters.records import CocoRle, ObjectBatch, Review, ReviewBatch, ReviewProject, Verdict


class MemoryReviewUI:
    """Implements ui_adapters.review_ui.ReviewUI in memory; ``answer`` decides each verdict."""

    name = "memory"

    def __init__(self) -> None:
        self.opened: list[tuple[int, int]] = []
        self.closed = False
        self.submitted: list[Review] = []

    def open_review(self, *, round, masklets, max_frames, videos=()):
        self.opened += [(m.masklet_id, m.revision) for m in masklets if (m.masklet_id, m.revision) not in self.opened]
        self.object_videos = [v.video_id for v in videos]
        self.items = {m.masklet_id: m for m in masklets}
        return ReviewProject(ui=self.name, project_id=7, round_id=round.round_id, url="mem://7",
                             task_count=len(self.opened))

    def submit(self, masklet_id: int, revision: int, verdict: Verdict, corrections: dict | None = None) -> None:
        n = len(self.submitted) + 1
        self.submitted.append(Review(
            external_id=f"memory:7:{n}", project_id=7, task_id=n, masklet_id=masklet_id, revision=revision,
            annotation_id=n, annotation_updated_at=datetime(2026, 1, 1, tzinfo=UTC), verdict=verdict,
            corrections={f: CocoRle.from_dict(encode_rle(m)) for f, m in (corrections or {}).items()},
            frames_edited=tuple(sorted(corrections or {})), frames_shown=(0,), model_version="m", seconds=12.0,
            clicks=3, regions_changed=2 * len(corrections or {})))

    def fetch_reviews(self, *, project, since=None, seen=frozenset()):
        return ReviewBatch(reviews=tuple(r for r in self.submitted if r.external_id not in seen), rejected=())

    def fetch_new_objects(self, *, project, seen=frozenset()):
        return ObjectBatch(objects=(), rejected=(), pending_tasks=0)  # every "add objects" task submitted empty

    def close_review(self, *, project) -> None:
        self.closed = True


def test_label_studio_style_round_moves_with_the_reviews(cycle_ws) -> None:
    register_builtin(cycle_ws)
    plan = plan_round(cycle_ws, dataset=DATASET, n_videos=2, cfg=TEST_CONFIG)
    ui = MemoryReviewUI()
    out = advance_round(cycle_ws, plan.round_id, reviewer="label-studio", cfg=TEST_CONFIG, retrain=False, ui=ui)
    rows = round_masklets(cycle_ws.catalog, plan.round_id)
    assert out.status == "in_review" and len(rows) >= 1
    assert sorted(ui.opened) == sorted(zip(rows["masklet_id"], rows["revision"]))
    assert get_round(cycle_ws.catalog, plan.round_id).label_studio_project_id == 7

    first, *rest = list(rows.itertuples())
    video = get_video(cycle_ws.catalog, int(first.video_id))
    fix = {0: np.zeros((video.height, video.width), bool)}
    fix[0][10:20, 10:30] = True
    ui.submit(int(first.masklet_id), int(first.revision), Verdict.UNSATISFACTORY, fix)
    for row in rest:
        ui.submit(int(row.masklet_id), int(row.revision), Verdict.SATISFACTORY)
    out = advance_round(cycle_ws, plan.round_id, reviewer="label-studio", cfg=TEST_CONFIG, retrain=False, ui=ui)
    assert out.status == "in_review"  # the refined masklet is back in review
    again = round_masklets(cycle_ws.catalog, plan.round_id).set_index("masklet_id")
    assert again.loc[int(first.masklet_id), "status"] == "in_review"
    assert again.loc[int(first.masklet_id), "revision"] == int(first.revision) + 2  # correction + refinement
    assert (int(first.masklet_id), int(first.revision) + 2) in ui.opened
    n_reviews = len(round_reviews(cycle_ws.catalog, plan.round_id))
    assert n_reviews == len(rows)

    ui.submit(int(first.masklet_id), int(first.revision) + 2, Verdict.ILL_DEFINED)
    out = advance_round(cycle_ws, plan.round_id, reviewer="label-studio", cfg=TEST_CONFIG, retrain=False, ui=ui)
    assert out.status == "closed" and ui.closed
    final = round_masklets(cycle_ws.catalog, plan.round_id).set_index("masklet_id")
    assert final.loc[int(first.masklet_id), "status"] == "rejected"
    assert set(final.drop(index=int(first.masklet_id))["status"]) <= {"accepted"}
    reviews = round_reviews(cycle_ws.catalog, plan.round_id)
    assert len(reviews) == n_reviews + 1 and set(reviews["clicks"]) == {3}
    edited = reviews[reviews["frames_edited"] > 0]
    assert len(edited) >= 1 and (edited["regions_changed"] == 2 * edited["frames_edited"]).all()
    assert (reviews.loc[reviews["frames_edited"] == 0, "regions_changed"] == 0).all()
