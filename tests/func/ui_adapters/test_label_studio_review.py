"""Label Studio review round trip against a real Label Studio 1.23.2 (the ``stack`` fixture).

Open a round, import masklet tasks with predictions, submit annotations through the API as a
reviewer would, sync them back (twice), receive and replay the webhooks, update one annotation,
reject malformed ones, close the round. Run: MASKLOOP_TEST_SERVICES=label-studio pytest tests/func/ui_adapters
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import httpx
import numpy as np
import pytest
from helpers.label_studio import box_mask, edit_result, make_masklet, verdict_result
from label_studio_sdk import LabelStudio
from ls_receiver import running_receiver, wait_for

from ui_adapters.label_studio_ui import LabelStudioReviewUI
from ui_adapters.records import RejectedAnnotation, Review, ReviewRound, Verdict, WebhookEvent
from ui_adapters.task_builder import coco_to_mask, select_frames
from ui_adapters.webhook import WEBHOOK_SECRET_HEADER

H, W = 24, 32


def _tasks_by_masklet(client: LabelStudio, project_id: int) -> dict[int, dict[str, Any]]:
    tasks = [t.model_dump(mode="json") for t in client.tasks.list(project=project_id, fields="all")]
    return {t["data"]["masklet_id"]: t for t in tasks if "masklet_id" in t["data"]}


def test_review_round_trip(stack, label_studio_client: LabelStudio, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    client = label_studio_client
    me = client.users.whoami()
    emitted: list[WebhookEvent] = []
    masklets = [make_masklet(101, 3), make_masklet(102, 40), make_masklet(103, 5)]
    with running_receiver(secret=stack.webhook_secret, emit=emitted.append) as hook_url:
        ui = LabelStudioReviewUI(url=stack.label_studio_url, token=stack.label_studio_token,
                                 webhook_url=hook_url, webhook_secret=stack.webhook_secret, batch_size=2)
        project = ui.open_review(round=ReviewRound(round_id=9001, title="func round"),
                                 masklets=masklets, max_frames=8)
        assert project.ui == "label-studio" and project.round_id == 9001 and project.task_count == 3
        assert project.url == f"{stack.label_studio_url}/projects/{project.project_id}/data"

        # Reopening imports nothing twice; a refined revision is added to the same project.
        again = ui.open_review(round=ReviewRound(round_id=9001, title="func round"), masklets=masklets,
                               max_frames=8)
        assert again.project_id == project.project_id and again.task_count == 3
        (hook,) = [h for h in client.webhooks.list(project=str(project.project_id))
                   if h.project == project.project_id]
        assert hook.url == hook_url and hook.send_payload
        assert set(hook.actions) == {"ANNOTATION_CREATED", "ANNOTATION_UPDATED"}
        tasks = _tasks_by_masklet(client, project.project_id)
        assert sorted(tasks) == [101, 102, 103]
        long_task = tasks[102]
        shown = [masklets[1].frame_indices[k] for k in select_frames(40, 8)]
        assert long_task["data"]["frame_indices"] == shown and len(long_task["data"]["frames"]) == 8
        (pred,) = long_task["predictions"]
        assert pred["model_version"] == "tiny-cpu@3" and len(pred["result"]) == 8
        assert [r["item_index"] for r in pred["result"]] == list(range(8))

        # A reviewer submits: satisfactory (prediction kept), unsatisfactory (two frames edited),
        # ill-defined.
        sat_result = list(tasks[101]["predictions"][0]["result"]) + [verdict_result("satisfactory")]
        a_sat = client.annotations.create(id=tasks[101]["id"], result=sat_result, lead_time=11.0)
        e1, e5 = box_mask(H, W, 10, 10, 6), box_mask(H, W, 0, 20, 4)
        uns_result = [verdict_result("unsatisfactory"), edit_result(e1, 1), edit_result(e5, 5)]
        uns_result += [r for r in long_task["predictions"][0]["result"] if r["item_index"] == 0]
        a_uns = client.annotations.create(id=long_task["id"], result=uns_result, lead_time=95.5)
        a_ill = client.annotations.create(id=tasks[103]["id"], result=[verdict_result("ill-defined")],
                                          lead_time=4.0)

        batch = ui.fetch_reviews(project=project)
        reviews, rejected = batch
        assert rejected == ()
        by_task = {r.task_id: r for r in reviews}
        assert sorted(by_task) == sorted([tasks[101]["id"], long_task["id"], tasks[103]["id"]])
        sat, uns, ill = by_task[tasks[101]["id"]], by_task[long_task["id"]], by_task[tasks[103]["id"]]
        for review, ann, masklet, seconds in ((sat, a_sat, masklets[0], 11.0), (uns, a_uns, masklets[1], 95.5),
                                              (ill, a_ill, masklets[2], 4.0)):
            assert isinstance(review, Review)
            assert review.annotation_id == ann.id and review.project_id == project.project_id
            assert (review.masklet_id, review.revision) == (masklet.masklet_id, 1)
            assert review.seconds == pytest.approx(seconds)
            assert review.reviewer_id == me.id and review.reviewer_email == me.email
            assert review.model_version == "tiny-cpu@3" and review.clicks is None
            assert review.annotation_updated_at == ann.updated_at
            assert review.external_id.startswith(f"label-studio:{project.project_id}:{ann.id}:")
        assert sat.verdict is Verdict.SATISFACTORY and sat.corrections == {} and sat.frames_shown == (0, 2, 4)
        assert ill.verdict is Verdict.ILL_DEFINED and ill.corrections == {}
        assert uns.verdict is Verdict.UNSATISFACTORY
        assert uns.frames_shown == tuple(shown) and uns.frames_edited == (shown[1], shown[5])
        assert np.array_equal(coco_to_mask(uns.corrections[shown[1]]), e1)
        assert np.array_equal(coco_to_mask(uns.corrections[shown[5]]), e5)

        # Syncing again changes nothing: same batch, and nothing new past the seen ids.
        assert ui.fetch_reviews(project=project) == batch
        seen = {r.external_id for r in reviews}
        assert ui.fetch_reviews(project=project, since=batch.cursor, seen=seen) == ((), ())

        # Webhooks: one event per annotation; a replayed delivery is a no-op.
        assert wait_for(lambda: len(emitted) >= 3)
        assert sorted(e.annotation_id for e in emitted) == sorted([a_sat.id, a_uns.id, a_ill.id])
        assert {(e.project_id, e.action) for e in emitted} == {(project.project_id, "ANNOTATION_CREATED")}
        ev = next(e for e in emitted if e.annotation_id == a_uns.id)
        assert ev.task_id == long_task["id"]
        replay = {"action": "ANNOTATION_CREATED", "project": {"id": project.project_id},
                  "task": {"id": ev.task_id},
                  "annotation": {"id": ev.annotation_id, "updated_at": ev.annotation_updated_at}}
        resp = httpx.post(hook_url, content=json.dumps(replay),
                          headers={WEBHOOK_SECRET_HEADER: stack.webhook_secret})
        assert resp.json() == {"status": "duplicate"}
        assert httpx.post(hook_url, content=json.dumps(replay)).status_code == 401
        assert len(emitted) == 3

        # An updated annotation is a new review (new external id), never an overwrite.
        client.annotations.update(id=a_ill.id, result=[verdict_result("unsatisfactory"), edit_result(e1, 0)])
        newer = ui.fetch_reviews(project=project, since=batch.cursor, seen=seen)
        assert newer.rejected == () and len(newer.reviews) == 1
        upd = newer.reviews[0]
        assert upd.annotation_id == a_ill.id and upd.external_id not in seen
        assert upd.verdict is Verdict.UNSATISFACTORY and upd.frames_edited == (0,)
        assert upd.annotation_updated_at > ill.annotation_updated_at
        assert wait_for(lambda: any(e.action == "ANNOTATION_UPDATED" for e in emitted))

        # Malformed annotations are rejected with their reason; nothing else is lost.
        bad_rle = edit_result(e1, 2)
        bad_rle["value"]["rle"] = bad_rle["value"]["rle"][:6]
        a_bad = client.annotations.create(id=tasks[101]["id"], result=[verdict_result("unsatisfactory"), bad_rle])
        wrong = edit_result(np.zeros((H + 1, W), bool), 0)
        a_wrong = client.annotations.create(id=tasks[103]["id"], result=[verdict_result("satisfactory"), wrong])
        a_none = client.annotations.create(id=long_task["id"], result=[edit_result(e1, 3)])
        imported = client.projects.import_tasks(id=project.project_id, request=[{"data": {"frames": ["x"]}}],
                                                return_task_ids=True)
        a_unknown = client.annotations.create(id=imported.task_ids[0], result=[verdict_result("satisfactory")])
        final = ui.fetch_reviews(project=project)
        reasons = {r.annotation_id: r.reason for r in final.rejected}
        assert all(isinstance(r, RejectedAnnotation) for r in final.rejected)
        assert "bad brush RLE" in reasons[a_bad.id]
        assert f"{H + 1}x{W}" in reasons[a_wrong.id]
        assert "no verdict" in reasons[a_none.id]
        assert "unknown task" in reasons[a_unknown.id]
        assert {r.external_id for r in final.reviews} == (seen - {ill.external_id}) | {upd.external_id}

        ui.close_review(project=project)
        assert client.webhooks.list(project=str(project.project_id)) == []
        assert client.projects.get(id=project.project_id).title.startswith("[closed] ")
    assert stack.label_studio_token not in caplog.text


def test_the_task_list_shows_what_needs_a_decision(stack, label_studio_client: LabelStudio) -> None:  # type: ignore[no-untyped-def]
    """The project's views: "to review" hides raw lists, shows the task-list columns, drops decided
    and superseded tasks; a refined revision marks its predecessor superseded; re-opening adds no
    second view."""
    client = label_studio_client
    ui = LabelStudioReviewUI(url=stack.label_studio_url, token=stack.label_studio_token)
    rnd = ReviewRound(round_id=9002, title="task list", description=f"task list {uuid.uuid4()}")  # never reused
    project = ui.open_review(round=rnd, masklets=[make_masklet(201, 4), make_masklet(202, 4)], max_frames=8)
    tasks = _tasks_by_masklet(client, project.project_id)
    client.annotations.create(id=tasks[202]["id"], result=[verdict_result("satisfactory")], lead_time=3.0)
    ui.open_review(round=rnd, masklets=[make_masklet(201, 4, revision=2)], max_frames=8)
    ui.open_review(round=rnd, masklets=[make_masklet(201, 4, revision=2)], max_frames=8)

    views = {v.data["title"]: v for v in client.views.list(project=project.project_id)}
    assert sorted(views) == ["all tasks", "to review"]
    hidden = views["to review"].data["hiddenColumns"]["explore"]
    assert {"tasks:data.frames", "tasks:data.frame_indices", "tasks:data.scores",
            "tasks:predictions_results"} <= set(hidden)
    assert views["to review"].data["columnsDisplayType"] == {"tasks:data.thumbnail": "Image"}
    rows = httpx.get(f"{stack.label_studio_url}/api/tasks",
                     params={"project": project.project_id, "view": views["to review"].id, "fields": "all"},
                     headers={"Authorization": f"Token {stack.label_studio_token}"}).json()["tasks"]
    assert [(r["data"]["masklet_id"], r["data"]["revision"]) for r in rows] == [(201, 2)]
    row = rows[0]["data"]
    assert (row["video"], row["n_frames"], row["lowest_score"], row["review_status"]) == ("video-201", 4, 0.5,
                                                                                          "to review")
    assert row["thumbnail"] == row["frames"][0]
    everything = {(t["data"]["masklet_id"], t["data"]["revision"]): t["data"]["review_status"]
                  for t in _tasks_by_masklet_all(client, project.project_id)}
    assert everything == {(201, 1): "superseded by rev 2", (201, 2): "to review", (202, 1): "to review"}


def _tasks_by_masklet_all(client: LabelStudio, project_id: int) -> list[dict[str, Any]]:
    return [t.model_dump(mode="json") for t in client.tasks.list(project=project_id, fields="all")]


def test_a_reviewer_draws_a_missed_object_on_the_add_objects_task(stack, label_studio_client: LabelStudio) -> None:  # type: ignore[no-untyped-def]
    """A round with no masklet still opens with one "add objects" task per video (once); a
    region labelled "new object" comes back as a DrawnObject on its video frame; the task stops
    being pending once submitted."""
    from ui_adapters.records import VideoForObjects

    client = label_studio_client
    ui = LabelStudioReviewUI(url=stack.label_studio_url, token=stack.label_studio_token)
    rnd = ReviewRound(round_id=9003, title="objects", description=f"objects {uuid.uuid4()}")  # never reused
    video = VideoForObjects(video_id=31, video_label="ds video 31 (feedbeef)", frame_indices=(0, 5, 10),
                            frame_urls=("http://frames.invalid/0.png", "http://frames.invalid/5.png",
                                        "http://frames.invalid/10.png"), height=H, width=W, model_version="m@1")
    project = ui.open_review(round=rnd, masklets=[], max_frames=8, videos=[video])
    assert project.task_count == 1
    assert ui.open_review(round=rnd, masklets=[], max_frames=8, videos=[video]).task_count == 1
    (task,) = [t.model_dump(mode="json") for t in client.tasks.list(project=project.project_id, fields="all")]
    assert task["data"]["kind"] == "add_objects" and task["data"]["video_id"] == 31
    before = ui.fetch_new_objects(project=project)
    assert before.objects == () and before.pending_tasks == 1
    assert ui.fetch_reviews(project=project) == ((), ())  # an objects task is not a masklet review

    drawn = box_mask(H, W, 6, 8, 7)
    region = edit_result(drawn, 1)
    region["value"]["brushlabels"] = ["new object"]
    client.annotations.create(id=task["id"], result=[region], lead_time=20.0)
    after = ui.fetch_new_objects(project=project)
    assert after.pending_tasks == 0 and after.rejected == ()
    (obj,) = after.objects
    assert (obj.video_id, obj.frame_index, obj.task_id) == (31, 5, task["id"])
    assert np.array_equal(coco_to_mask(obj.mask), drawn)
    assert ui.fetch_new_objects(project=project, seen={obj.external_id}).objects == ()


def test_a_project_of_another_catalogs_round_is_never_reused(stack) -> None:  # type: ignore[no-untyped-def]
    """Same round number, another description (another catalog's round): a new project."""
    ui = LabelStudioReviewUI(url=stack.label_studio_url, token=stack.label_studio_token)
    a = ui.open_review(round=ReviewRound(round_id=9004, title="a", description=f"a {uuid.uuid4()}"),
                       masklets=[make_masklet(301, 2)], max_frames=8)
    b = ui.open_review(round=ReviewRound(round_id=9004, title="b", description=f"b {uuid.uuid4()}"),
                       masklets=[make_masklet(301, 2)], max_frames=8)
    assert a.project_id != b.project_id and b.task_count == 1
