"""A reviewer adds an object the model missed, through the round's Label Studio project.

Real PostgreSQL, SeaweedFS and Label Studio. A generated clip is ingested with its ground truth
and a round is planned that holds no masklet (as when the model proposes nothing). Opening its
review still makes a project: one "add objects" task for the video, its frames served from S3.
A reviewer brushes one ground-truth object on a middle frame as "new object" and submits; the sync
turns it into a manual masklet in review, tracked by the round's model onto the other frames, and
reopening adds its masklet task. Syncing again adds nothing (idempotent per drawing).
Run: MASKLOOP_TEST_SERVICES=postgres,s3,label-studio pytest tests/func/cycle/test_add_objects_in_label_studio.py
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.label_studio import edit_result
from label_studio_sdk import LabelStudio

from flows.cycle.config import CycleConfig
from flows.cycle.create_round import plan_round
from flows.cycle.ingest import ingest_one
from flows.cycle.media import masklet_masks
from flows.cycle.review import open_round_review, review_ui, sync_round_reviews
from flows.cycle.workspace import open_workspace
from flows.programs.demo_data import make_demo_videos
from flows.settings import load_settings
from storage.catalog.catalog import Catalog
from storage.catalog.masklets import list_masklets
from storage.catalog.registry import register_model
from storage.catalog.rounds import get_round, round_masklets
from storage.catalog.videos import get_video

SIZE, FRAMES, DRAWN = 96, 8, 4


def test_a_missed_object_drawn_in_label_studio_becomes_a_masklet_in_review(  # type: ignore[no-untyped-def]
        stack, pg_url, label_studio_client: LabelStudio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {k: v for k, v in stack.env.items() if k.startswith("MASKLOOP_")}
    env.update({"MASKLOOP_DATABASE_URL": pg_url, "MASKLOOP_HOME": str(tmp_path / "home"),
                "MASKLOOP_STACK_DIR": str(tmp_path / "nostack"), "MASKLOOP_DEVICE": "cpu",
                "MASKLOOP_REVIEW_MAX_FRAMES": str(FRAMES)})
    for key in [k for k in env if k.startswith(("MASKLOOP_PREFECT", "MASKLOOP_MLFLOW", "MASKLOOP_WEBHOOK"))]:
        del env[key]
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MASKLOOP_PREFECT_API_URL", raising=False)
    Catalog.open(pg_url, auto_upgrade=True).close()
    settings = load_settings()
    demo = make_demo_videos(tmp_path / "videos", n_train=1, n_val=0, n_frames=FRAMES, size=SIZE)[0]
    with open_workspace(settings) as ws:
        video_id = ingest_one(ws, demo.item(), dataset="missed").video_id
        video = get_video(ws.catalog, video_id)
        register_model(ws.catalog, name=CycleConfig().model_name, backend="sam2", uri="builtin:default",
                       aliases=("champion",), **ws.who)
        round_id = plan_round(ws, dataset="missed", n_videos=1, cfg=CycleConfig()).round_id
        gt = list_masklets(ws.catalog, video_id=video_id, origin="ground_truth")
        target = max((masklet_masks(ws.store, r.blob_key, video.n_frames) for r in gt.itertuples()),
                     key=lambda m: int(m[DRAWN].sum()))
        assert len(round_masklets(ws.catalog, round_id)) == 0
        ui = review_ui(ws)
        project_id = open_round_review(ws, round_id, ui)
        assert get_round(ws.catalog, round_id).status == "in_review"

    (task,) = [t.model_dump(mode="json") for t in label_studio_client.tasks.list(project=project_id, fields="all")]
    data = task["data"]
    assert data["kind"] == "add_objects" and data["video_id"] == video_id
    assert data["frame_indices"] == list(range(FRAMES)) and "/resolve/?fileuri=" in data["frames"][0]  # S3, via LS
    assert f"video {video_id} ({video.sha256[:8]})" in data["video"] and "ADD OBJECTS" in data["context"]
    region = edit_result(target[DRAWN], DRAWN)
    region["value"]["brushlabels"] = ["new object"]
    label_studio_client.annotations.create(id=task["id"], result=[region], lead_time=30.0)

    with open_workspace(settings) as ws:
        first = sync_round_reviews(ws, round_id, ui)
        assert (first.objects_added, first.objects_pending, first.rejected) == (1, 0, 0)
        (row,) = round_masklets(ws.catalog, round_id).itertuples()
        assert (row.origin, row.status) == ("manual", "in_review")
        assert row.created_by == label_studio_client.users.whoami().email  # who drew it, for the audit
        tracked = masklet_masks(ws.store, row.blob_key, video.n_frames)
        assert (tracked[DRAWN] == target[DRAWN]).all()
        assert int(row.frame_start) < DRAWN < int(row.frame_end)  # the model carried it both ways
        again = sync_round_reviews(ws, round_id, ui)
        assert again.objects_added == 0 and len(round_masklets(ws.catalog, round_id)) == 1
        open_round_review(ws, round_id, ui)
    tasks = [t.model_dump(mode="json") for t in label_studio_client.tasks.list(project=project_id, fields="all")]
    assert sorted(str(t["data"].get("masklet_id", "objects")) for t in tasks) == sorted([str(row.masklet_id), "objects"])
