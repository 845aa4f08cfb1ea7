"""Label Studio's own webhook, on the real local stack, drives the review sync.

A round's masklets are generated, then `maskloop review open` (settings from the stack's
stack.env) registers one webhook on the round's Label Studio project, pointing at the stack's
webhook receiver with the shared secret as a header; opening again keeps one webhook and repairs
a stale secret. A reviewer then answers every task through Label Studio's API. Nothing in this test
posts to the receiver or emits an event: Label Studio delivers ANNOTATION_CREATED to the receiver
(its access log grows), the receiver emits `maskloop.review.submitted` (read back from the Prefect
server), the `sync-reviews` deployment's trigger runs on the cpu worker with the project id, and the
catalog ends up with every review, the round closed and the project's webhook removed.
Run: MASKLOOP_TEST_STACK_DIR=/tmp/stack pytest tests/func/cycle/test_stack_webhook_review.py
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.label_studio import verdict_result

from flows.cli.main import main
from flows.cycle.config import CycleConfig
from flows.cycle.create_round import plan_round
from flows.cycle.generate_flow import generate_video_masklets
from flows.cycle.ingest import ingest_one
from flows.cycle.workspace import open_workspace
from flows.orchestration.deploy_all import default_prefect_file, deploy_all
from flows.orchestration.deployment_spec import find_spec, load_specs
from flows.orchestration.fanout import deployment_id
from flows.orchestration.prefect_api import prefect_server
from flows.programs.demo_data import make_demo_videos
from flows.webhook_app import EVENT_NAME
from storage.catalog.catalog import Catalog
from storage.catalog.reviews import round_reviews
from storage.catalog.rounds import get_round, round_masklets
from ui_adapters.webhook import REVIEW_ACTIONS, WEBHOOK_SECRET_HEADER

NEEDED = ("s3", "label-studio", "mlflow", "prefect", "worker-cpu", "webhook-receiver")
#: Access-log line of one delivery the receiver accepted (uvicorn's format; no headers, no body).
DELIVERED = re.compile(r'"POST /webhooks/label-studio HTTP/1\.1" 200')


def _wait(what: str, predicate: Callable[[], bool], timeout_s: float, every_s: float = 1.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(every_s)


def _hooks(ls: Any, project_id: int) -> list[Any]:
    return [h for h in ls.webhooks.list(project=str(project_id)) if h.project == project_id]


def _deliveries(log: Path) -> int:
    return len(DELIVERED.findall(log.read_text(encoding="utf-8", errors="replace"))) if log.is_file() else 0


def _events(client: Any, project_id: int) -> list[Any]:
    from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter

    flt = EventFilter(event=EventNameFilter(name=[EVENT_NAME]),
                      resource=EventResourceFilter(id=[f"maskloop.labelstudio.project.{project_id}"]))
    return list(client.read_events(filter=flt, limit=50).events)  # the server refuses limit > 50


def _sync_runs(client: Any, project_id: int) -> list[Any]:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    spec = find_spec(load_specs(default_prefect_file()), "sync-reviews")
    dep = deployment_id(client, "sync-reviews", spec.entrypoint)
    runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[dep])))
    return [r for r in runs if r.parameters.get("project_id") == project_id]


def test_label_studio_delivers_review_webhooks_to_the_receiver_and_the_trigger_syncs(  # type: ignore[no-untyped-def]
        stack, stack_settings, label_studio_client, tmp_path: Path, monkeypatch, capsys) -> None:
    missing = [s for s in NEEDED if s not in stack.services]
    if missing:
        pytest.fail(f"this test needs {', '.join(missing)} in MASKLOOP_TEST_SERVICES")
    settings = stack_settings
    assert settings.webhook_url == stack.webhook_url == stack.env["MASKLOOP_WEBHOOK_URL"]
    ls = label_studio_client
    Catalog.open(settings.catalog_url, auto_upgrade=True).close()

    # a round with generated masklets (filters at 0, at most 2 per video: something to review)
    tag = secrets.token_hex(4)
    cfg = CycleConfig(model_name=f"wh-{tag}", pred_iou_thresh=0.0, stability_thresh=0.0, max_masks=2)
    videos = make_demo_videos(tmp_path / "videos", n_train=1, n_val=0, n_frames=6, size=96)
    with open_workspace(settings) as ws:
        for video in videos:
            ingest_one(ws, video.item(), dataset=f"wh-{tag}")
        plan = plan_round(ws, dataset=f"wh-{tag}", n_videos=1, cfg=cfg)
        for video_id in plan.video_ids:
            generate_video_masklets.fn(plan.round_id, video_id, settings=settings, config=cfg)
        n_masklets = len(round_masklets(ws.catalog, plan.round_id))
    assert n_masklets >= 1
    deploy_all(settings, only=("sync-reviews",))  # its event trigger is what the receiver's event fires

    # `maskloop review open`, configured by the stack's stack.env alone (URL, token, webhook URL, secret)
    for key in ("MASKLOOP_WEBHOOK_URL", "MASKLOOP_WEBHOOK_SECRET", "MASKLOOP_LABEL_STUDIO_URL",
                "MASKLOOP_LABEL_STUDIO_TOKEN", "MASKLOOP_DATABASE_URL", "MASKLOOP_S3_ENDPOINT"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MASKLOOP_STACK_DIR", str(stack.dir))
    cli_home = str(tmp_path / "cli-home")
    assert main(["--home", cli_home, "review", "open", str(plan.round_id)]) == 0, capsys.readouterr().err
    with open_workspace(settings) as ws:
        project_id = int(get_round(ws.catalog, plan.round_id).label_studio_project_id)
    (hook,) = _hooks(ls, project_id)
    assert hook.url == stack.webhook_url and hook.is_active and hook.send_payload
    assert set(hook.actions) == REVIEW_ACTIONS and hook.headers == {WEBHOOK_SECRET_HEADER: stack.webhook_secret}
    # a stale secret on the hook (as after a rotation) is repaired by the next open, still one hook
    ls.webhooks.update(id=hook.id, headers={WEBHOOK_SECRET_HEADER: "stale"})
    assert main(["--home", cli_home, "review", "open", str(plan.round_id)]) == 0, capsys.readouterr().err
    (again,) = _hooks(ls, project_id)
    assert again.id == hook.id and again.headers == {WEBHOOK_SECRET_HEADER: stack.webhook_secret}
    out = capsys.readouterr()
    assert stack.webhook_secret not in out.out + out.err and stack.label_studio_token not in out.out + out.err

    # a reviewer answers every task through Label Studio's API; Label Studio posts the webhooks
    log = stack.dir / "logs" / "webhook-receiver.log"
    delivered_before = _deliveries(log)
    all_tasks = [t.model_dump(mode="json") for t in ls.tasks.list(project=project_id, fields="all")]
    tasks = [t for t in all_tasks if "masklet_id" in t["data"]]
    assert len(tasks) == n_masklets
    object_tasks = [t for t in all_tasks if t["data"].get("kind") == "add_objects"]
    assert len(object_tasks) >= 1  # one per video of the round: the round waits for them
    created: dict[int, int] = {}  # annotation id -> task id
    for k, task in enumerate(tasks):
        verdict = "satisfactory" if k == 0 else "ill-defined"
        result = list(task["predictions"][0]["result"]) if verdict == "satisfactory" else []
        annotation = ls.annotations.create(id=task["id"], result=result + [verdict_result(verdict)], lead_time=7.0)
        created[int(annotation.id)] = int(task["id"])
    objects_done: dict[int, int] = {}  # nothing missing: each "add objects" task submitted empty
    for task in object_tasks:
        objects_done[int(ls.annotations.create(id=task["id"], result=[], lead_time=2.0).id)] = int(task["id"])
    answered = created | objects_done

    _wait("Label Studio's deliveries in the receiver's access log",
          lambda: _deliveries(log) - delivered_before >= len(answered), timeout_s=60, every_s=0.5)
    assert stack.webhook_secret not in log.read_text(encoding="utf-8", errors="replace")

    with prefect_server(settings):
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            found: list[Any] = []

            def events_arrived() -> bool:
                found[:] = _events(client, project_id)
                return {int(e.payload["annotation_id"]) for e in found} >= set(answered)

            _wait(f"{EVENT_NAME} of every annotation on the Prefect server", events_arrived, timeout_s=120)
            for event in found:
                annotation_id = int(event.payload["annotation_id"])
                assert event.payload["project_id"] == project_id
                assert event.payload["action"] == "ANNOTATION_CREATED"
                assert answered[annotation_id] == event.payload["task_id"]
                assert event.payload["annotation_updated_at"]  # Label Studio's own timestamp

            # the trigger's sync-reviews runs (project_id set; the safety-net schedule passes none)
            def round_closed() -> bool:
                with open_workspace(settings) as ws:
                    return get_round(ws.catalog, plan.round_id).status == "closed"

            _wait("the triggered sync-reviews run to record the reviews and close the round", round_closed,
                  timeout_s=900, every_s=2.0)
            runs: list[Any] = []

            def runs_final() -> bool:
                runs[:] = _sync_runs(client, project_id)
                return bool(runs) and all(r.state is not None and r.state.is_final() for r in runs)

            _wait("every triggered sync-reviews run to finish", runs_final, timeout_s=900, every_s=2.0)
            assert {r.state.type.value for r in runs} == {"COMPLETED"}, [r.state for r in runs]
            assert {r.work_pool_name for r in runs} == {"cpu"}

    with open_workspace(settings) as ws:
        reviews = round_reviews(ws.catalog, plan.round_id)
        statuses = round_masklets(ws.catalog, plan.round_id)["status"]
    assert len(reviews) == len(created) and reviews["external_id"].is_unique
    assert set(reviews["seconds"]) == {7.0} and set(reviews["regions_changed"]) == {0}  # Label Studio's lead_time
    assert sorted(statuses) == sorted(["accepted"] + ["rejected"] * (len(created) - 1))
    assert _hooks(ls, project_id) == []  # closing the round's review removed its webhook
