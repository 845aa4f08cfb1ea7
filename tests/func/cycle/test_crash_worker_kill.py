"""Crash safety of masklet generation on the real stack (Prefect server + process worker on `gpu`).

A video's generation flow run is killed with SIGKILL while it holds the `gpu` concurrency slot
(it is loading the model or generating): either the flow run's own process (the worker sees it
die and marks the run Crashed) or the whole `gpu` worker with it (the run is left Running; the
crashed-run detector of `maskloop deploy` marks it Crashed when its heartbeats stop; the worker is
started again with the stack code, as `maskloop stack up` does). The round's generation is then
rerun through the fan-out, twice: every video ends with exactly one masklet (generation is asked
for one per video, so a second row is a duplicate; the second rerun creates nothing), every revision's blob exists, and no masklet blob in the
(private) bucket is unreferenced by the catalog.
Run: MASKLOOP_TEST_STACK_DIR=/tmp/stack pytest tests/func/cycle/test_crash_worker_kill.py
"""

from __future__ import annotations

import os
import secrets
import signal
import time
from pathlib import Path

import psutil
import pytest

from flows.cycle.config import CycleConfig
from flows.cycle.create_round import plan_round
from flows.cycle.ingest import IngestItem, ingest_one
from flows.cycle.workspace import open_workspace
from flows.orchestration.deploy_all import deploy_all
from flows.orchestration.fanout import (
    GENERATE_DEPLOYMENT,
    deployment_id,
    generation_parameters,
    generation_spec,
    run_generation_fanout,
)
from flows.orchestration.prefect_api import prefect_server
from flows.orchestration.server_setup import GPU_LIMIT
from flows.programs.demo_data import make_demo_videos
from flows.stack.manager import StackManager
from flows.stack.state import StackState
from storage.catalog.catalog import Catalog
from storage.catalog.masklets import list_masklets
from storage.catalog.videos import list_videos

#: Generation parameters of every run: filters at 0 so a model of any quality proposes something,
#: and ONE masklet per video, so a second row for a video can only be a duplicate written by a
#: crashed run and its rerun (a weak model may propose identical masks within one run).
CONFIG = {"config": {"pred_iou_thresh": 0.0, "stability_thresh": 0.0, "max_masks": 1}}


def _wait_for(check, *, timeout_s: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")


def _flow_run_process(worker_pid: int, flow_run_id: str) -> psutil.Process | None:
    """The process running ``flow_run_id`` among the worker's descendants."""
    try:
        children = psutil.Process(worker_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return None
    for proc in children:
        try:
            if proc.environ().get("PREFECT__FLOW_RUN_ID") == flow_run_id:
                return proc
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return None


def _state(client, flow_run_id: str) -> str:  # type: ignore[no-untyped-def]
    run = client.read_flow_run(flow_run_id)
    return run.state.type.value if run.state else "PENDING"


def _kill(procs: list[psutil.Process]) -> None:
    for proc in procs:
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            continue


@pytest.fixture()
def crash_round(stack, stack_settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Two ingested training videos, a planned round, and the generate-masklets deployment."""
    tag = secrets.token_hex(4)
    settings = stack_settings.model_copy(update={"s3_bucket": f"crash-{tag}"})  # private bucket: orphan check
    Catalog.open(settings.catalog_url, auto_upgrade=True).close()
    dataset = f"crash-{tag}"
    videos = make_demo_videos(tmp_path / "videos", n_train=2, n_val=0, n_frames=8, size=96)
    with open_workspace(settings) as ws:
        for video in videos:
            ingest_one(ws, IngestItem(path=str(video.path)), dataset=dataset)
        plan = plan_round(ws, dataset=dataset, n_videos=2, cfg=CycleConfig())
    deploy_all(settings, only=(GENERATE_DEPLOYMENT,))
    return settings, dataset, plan


@pytest.mark.parametrize("target", ["flow-run", "worker"])
def test_sigkill_mid_generation_then_rerun_leaves_no_duplicates_or_orphans(  # type: ignore[no-untyped-def]
    stack, crash_round, target: str
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    settings, dataset, plan = crash_round
    first = plan.video_ids[0]
    worker = StackState(stack.dir).records()["worker-gpu"]
    with prefect_server(settings), get_client(sync_client=True) as client:
        generate = deployment_id(client, GENERATE_DEPLOYMENT, generation_spec().entrypoint)
        run = run_deployment(generate, parameters=generation_parameters(round_id=plan.round_id, video_id=first,
                                                                        extra=CONFIG),
                             timeout=0, as_subflow=False)
        run_id = str(run.id)
        proc = _wait_for(lambda: _flow_run_process(worker.pid, run_id), timeout_s=180, what="the flow-run process")
        _wait_for(lambda: client.read_global_concurrency_limit_by_name(GPU_LIMIT).active_slots >= 1
                  or _state(client, run_id) in ("COMPLETED", "FAILED"), timeout_s=240, what="the gpu slot")
        assert _state(client, run_id) == "RUNNING", "generation finished before it could be killed"
        if target == "flow-run":
            _kill([proc])
        else:
            family = psutil.Process(worker.pid).children(recursive=True) + [psutil.Process(worker.pid)]
            _kill(family)
            StackManager.for_dir(settings, stack_dir=stack.dir).up()  # restarts the dead worker only
        crashed = _wait_for(lambda: _state(client, run_id) in ("CRASHED", "FAILED") and _state(client, run_id),
                            timeout_s=300, what="the killed run to be marked crashed")
        assert crashed == "CRASHED"
        assert not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE

    rerun = run_generation_fanout(plan.round_id, plan.video_ids, api_url=settings.prefect_api_url, poll_s=0.5,
                                  parameters=CONFIG)
    assert [r.state for r in rerun.runs] == ["COMPLETED"] * len(plan.video_ids)
    with open_workspace(settings) as ws:
        after_rerun = list_masklets(ws.catalog, dataset=dataset)
    again = run_generation_fanout(plan.round_id, plan.video_ids, api_url=settings.prefect_api_url, poll_s=0.5,
                                  parameters=CONFIG)
    assert [r.state for r in again.runs] == ["COMPLETED"] * len(plan.video_ids)

    with open_workspace(settings) as ws:
        masklets = list_masklets(ws.catalog, dataset=dataset)
        assert len(masklets) > 0, "the model proposed no masklet: nothing to check"
        assert masklets["masklet_id"].tolist() == after_rerun["masklet_id"].tolist()  # the second rerun added nothing
        per_video = masklets.groupby("video_id").size()
        assert per_video.to_dict() == {v: 1 for v in plan.video_ids}, "a video has duplicate masklets"
        assert set(masklets["round_id"].astype(int)) <= {plan.round_id}
        assert set(masklets["revision"]) <= {1}
        for key in masklets["blob_key"]:
            assert ws.store.exists(key), f"catalog row without its blob {key}"
        blobs = set(ws.store.list_keys("sha256/"))
        assert blobs == set(masklets["blob_key"]), "masklet blobs the catalog does not reference"
        frames = set(ws.store.list_keys("videos/"))
        ingested = {v.sha256 for v in list_videos(ws.catalog, dataset)}
        assert {k.split("/")[1] for k in frames} == ingested
