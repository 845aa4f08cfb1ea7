"""A whole annotation round on the real local stack, reviewed in the real Label Studio.

PostgreSQL catalog, SeaweedFS objects, Label Studio, MLflow server, Prefect server with process
workers on `gpu` and `cpu`. Small generated videos are ingested; `maskloop deploy` registers the
deployments; a round is planned, its generation fans out through the `generate-masklets`
deployment (one flow run per video on the gpu worker) and the `run-round` deployment (cpu worker)
opens the review project, with its webhook to the stack's receiver. A reviewer answers through the
Label Studio API (satisfactory / unsatisfactory with brush edits / ill-defined); Label Studio posts
each annotation to the receiver, whose `maskloop.review.submitted` event triggers `sync-reviews`:
reviews recorded, unsatisfactory masklets refined and reopened, and the round closed once all are
decided and each video's "add objects" task is submitted (here empty: nothing missing; nothing in
the test emits the event itself). `retrain-check` is then
run on demand: dataset version committed, model trained against the stack's MLflow, evaluated and
gated. Checked: catalog rows, the MLflow run, its dataset input, the registered model and the alias.
Run: MASKLOOP_TEST_STACK_DIR=/tmp/stack pytest tests/func/cycle/test_stack_round_labelstudio.py
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers.label_studio import box_mask, edit_result, verdict_result

from flows.cycle.config import CycleConfig
from flows.cycle.create_round import plan_round
from flows.cycle.ingest import ingest_one
from flows.cycle.workspace import open_workspace
from flows.orchestration.deploy_all import default_prefect_file, deploy_all
from flows.orchestration.deployment_spec import find_spec, load_specs
from flows.orchestration.fanout import deployment_id, run_generation_fanout
from flows.orchestration.prefect_api import prefect_server
from flows.programs.demo_data import make_demo_videos
from storage.catalog.catalog import Catalog
from storage.catalog.model_aliases import list_models, training_runs
from storage.catalog.reviews import round_reviews
from storage.catalog.rounds import get_round, round_masklets
from storage.versions.members import get_version, list_versions, version_members

SIZE, FRAMES = 96, 8
#: Generation parameters: filters at 0, at most 3 masklets per video, so a model of any quality
#: proposes masklets to review (this test is about the cycle's plumbing, not mask quality).
CONFIG = {"config": {"pred_iou_thresh": 0.0, "stability_thresh": 0.0, "max_masks": 3}}
SPECS = load_specs(default_prefect_file())


def _deployment(client: Any, name: str) -> Any:
    """Id of our deployment ``name`` (deployment names are unique per flow only)."""
    return deployment_id(client, name, find_spec(SPECS, name).entrypoint)


def _runs_of(client: Any, deployment_name: str) -> list[Any]:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    dep = _deployment(client, deployment_name)
    return client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[dep])))


def _run_and_wait(client: Any, name: str, parameters: dict[str, Any], timeout_s: float = 900) -> Any:
    from prefect.deployments import run_deployment

    run = run_deployment(_deployment(client, name), parameters=parameters, timeout=timeout_s, poll_interval=1,
                         as_subflow=False)
    assert run.state is not None and run.state.type.value == "COMPLETED", (name, run.state)
    return run


def _open_tasks(ls: Any, project_id: int) -> list[dict[str, Any]]:
    tasks = [t.model_dump(mode="json") for t in ls.tasks.list(project=project_id, fields="all")]
    return [t for t in tasks if not t.get("annotations") and "masklet_id" in t["data"]]


def _review(ls: Any, task: dict[str, Any], verdict: str) -> None:
    """Answer one task as a reviewer: keep the prediction, edit two frames, or reject the object."""
    prediction = list(task["predictions"][0]["result"]) if task.get("predictions") else []
    if verdict == "satisfactory":
        result = prediction + [verdict_result("satisfactory")]
    elif verdict == "unsatisfactory":
        result = [verdict_result("unsatisfactory"), edit_result(box_mask(SIZE, SIZE, 30, 30, 20), 0),
                  edit_result(box_mask(SIZE, SIZE, 32, 34, 20), 1)]
    else:
        result = [verdict_result("ill-defined")]
    ls.annotations.create(id=task["id"], result=result, lead_time=12.0)


def _synced_by_webhooks(client: Any, project_id: int, synced: Callable[[], bool], *, timeout_s: float = 900) -> None:
    """Wait until the sync-reviews runs that Label Studio's webhooks triggered (``project_id`` set;
    the safety-net schedule passes none) have brought the catalog to ``synced()`` and all finished."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        runs = [r for r in _runs_of(client, "sync-reviews") if r.parameters.get("project_id") == project_id]
        if runs and all(r.state is not None and r.state.is_final() for r in runs) and synced():
            assert all(r.state.type.value == "COMPLETED" for r in runs), [r.state for r in runs]
            return
        time.sleep(2)
    pytest.fail("Label Studio's webhooks did not trigger sync-reviews runs that recorded the reviews")


def test_round_on_the_stack_reviewed_in_label_studio(stack, stack_settings, label_studio_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from mlflow import MlflowClient
    from prefect.client.orchestration import get_client

    settings = stack_settings
    Catalog.open(settings.catalog_url, auto_upgrade=True).close()
    dataset = f"e2e-{secrets.token_hex(4)}"
    videos = make_demo_videos(tmp_path / "videos", n_train=2, n_val=1, n_frames=FRAMES, size=SIZE)
    with open_workspace(settings) as ws:
        for video in videos:  # with ground truth (validation needs it; training gets real objects too)
            ingest_one(ws, video.item(), dataset=dataset)

    report = deploy_all(settings)
    assert {"generate-masklets", "annotation-round", "sync-reviews", "retrain-check"} <= {
        r.full_name.split("/")[1] for r in report.deployments}
    again = deploy_all(settings)  # idempotent: same deployments, updated in place
    assert [r.deployment_id for r in again.deployments] == [r.deployment_id for r in report.deployments]

    ls = label_studio_client
    with open_workspace(settings) as ws:  # `maskloop round create`
        plan = plan_round(ws, dataset=dataset, n_videos=2, cfg=CycleConfig())
    with prefect_server(settings), get_client(sync_client=True) as client:
        # generation fans out through the generate-masklets deployment: one flow run per video on `gpu`
        fanout = run_generation_fanout(plan.round_id, plan.video_ids, api_url=settings.prefect_api_url,
                                       poll_s=0.5, parameters=CONFIG)
        assert fanout.mode == "deployment" and len(fanout.runs) == 2
        generation = [r for r in _runs_of(client, "generate-masklets") if f"round:{plan.round_id}" in r.tags]
        assert len(generation) == 2 and {r.state.type.value for r in generation} == {"COMPLETED"}
        assert {r.work_pool_name for r in generation} == {"gpu"}
        # the round flow on the cpu worker finds every video generated and opens the review
        round_run = _run_and_wait(client, "run-round", {"round_id": plan.round_id})
        assert round_run.work_pool_name == "cpu"
        with open_workspace(settings) as ws:
            rnd = get_round(ws.catalog, plan.round_id)
            assert rnd.status == "in_review" and rnd.label_studio_project_id is not None
            proposed = round_masklets(ws.catalog, rnd.id)
        assert len(proposed) >= 2, "fewer than 2 masklets proposed; nothing to review"

        project_id = int(rnd.label_studio_project_id)
        tasks = _open_tasks(ls, project_id)
        assert len(tasks) == len(proposed)
        verdicts = ["satisfactory", "unsatisfactory"] + ["ill-defined"] * (len(tasks) > 2) + [
            "satisfactory"] * max(0, len(tasks) - 3)
        (hook,) = [h for h in ls.webhooks.list(project=str(project_id)) if h.project == project_id]
        assert hook.url == stack.webhook_url
        for task, verdict in zip(tasks, verdicts, strict=True):
            _review(ls, task, verdict)
        object_tasks = [t.model_dump(mode="json") for t in ls.tasks.list(project=project_id, fields="all")]
        object_tasks = [t for t in object_tasks if t["data"].get("kind") == "add_objects"]
        assert sorted(t["data"]["video_id"] for t in object_tasks) == sorted(plan.video_ids)  # one per video
        for task in object_tasks:  # nothing missing: each video's "add objects" task submitted empty
            ls.annotations.create(id=task["id"], result=[], lead_time=2.0)
        fixed_id = int(tasks[1]["data"]["masklet_id"])

        def first_pass_synced() -> bool:
            with open_workspace(settings) as ws:
                rows = round_masklets(ws.catalog, rnd.id).set_index("masklet_id")
                return len(round_reviews(ws.catalog, rnd.id)) == len(tasks) and int(rows.loc[fixed_id, "revision"]) == 3

        _synced_by_webhooks(client, project_id, first_pass_synced)

        with open_workspace(settings) as ws:
            after = round_masklets(ws.catalog, rnd.id).set_index("masklet_id")
            assert after.loc[int(tasks[0]["data"]["masklet_id"]), "status"] == "accepted"
            # revision 2 holds the reviewer's edits, revision 3 their re-propagation, back in review
            refined_revision = int(after.loc[fixed_id, "revision"])
            assert refined_revision == 3 and after.loc[fixed_id, "status"] == "in_review"
            if len(tasks) > 2:
                assert after.loc[int(tasks[2]["data"]["masklet_id"]), "status"] == "rejected"
            assert get_round(ws.catalog, rnd.id).status == "in_review"

        (refined_task,) = _open_tasks(ls, project_id)  # the refined revision, reopened in the same project
        assert int(refined_task["data"]["masklet_id"]) == fixed_id
        assert int(refined_task["data"]["revision"]) == refined_revision
        _review(ls, refined_task, "satisfactory")

        def round_closed() -> bool:
            with open_workspace(settings) as ws:
                return get_round(ws.catalog, rnd.id).status == "closed"

        _synced_by_webhooks(client, project_id, round_closed)
        assert [h for h in ls.webhooks.list(project=str(project_id)) if h.project == project_id] == []

        with open_workspace(settings) as ws:
            assert get_round(ws.catalog, rnd.id).status == "closed"
            reviews = round_reviews(ws.catalog, rnd.id)
            assert len(reviews) == len(tasks) + 1 and reviews["external_id"].notna().all()

        # on demand (what the hourly check does once K accepted masklets exist), with a short training
        _run_and_wait(client, "retrain-check", {"dataset": dataset, "force": True, "config": {"train_steps": 8}})

    with open_workspace(settings) as ws:
        versions = list_versions(ws.catalog, dataset)
        assert len(versions) == 1
        version = get_version(ws.catalog, f"{dataset}@1")
        members = version_members(ws.catalog, version.name)
        accepted = set(round_masklets(ws.catalog, rnd.id).query("status == 'accepted'")["masklet_id"])
        assert accepted <= set(members["masklet_id"])
        runs = training_runs(ws.catalog)
        run_row = runs[runs["mlflow_run_id"].notna()].iloc[-1]
        model = [m for m in list_models(ws.catalog) if m.training_run_id == int(run_row["id"])]
        assert len(model) == 1

    mlflow = MlflowClient(tracking_uri=stack.mlflow_tracking_uri)
    run = mlflow.get_run(str(run_row["mlflow_run_id"]))
    assert run.info.status == "FINISHED" and "val_JF" in run.data.metrics
    assert run.data.params["dataset_version"] == version.name
    (dataset_input,) = run.inputs.dataset_inputs
    assert dataset_input.dataset.name == version.name
    assert dataset_input.dataset.digest == version.manifest_sha256[: len(dataset_input.dataset.digest)]
    assert "s3://" in dataset_input.dataset.source
    registered = mlflow.get_model_version(model[0].ref.name, str(model[0].ref.version))
    assert registered.run_id == run.info.run_id
    champion = mlflow.get_model_version_by_alias(model[0].ref.name, "champion")
    with open_workspace(settings) as ws:
        catalog_champion = [m for m in list_models(ws.catalog, model[0].ref.name) if "champion" in m.aliases]
    assert [int(champion.version)] == [m.ref.version for m in catalog_champion]
    assert np.isfinite(run.data.metrics["val_JF"])
