"""Retraining against the real stack: PostgreSQL catalog, SeaweedFS objects, MLflow server
(PostgreSQL backend, S3 artifacts). Checks the MLflow run, its dataset input (name NAME@N, digest
from the manifest sha256, source the manifest's s3:// URI), the registered model version, the
champion alias and the catalog rows carrying the MLflow ids.
Run: MASKLOOP_TEST_SERVICES=postgres,s3,mlflow pytest tests/func/cycle/test_retrain_mlflow_stack.py
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path

from flows.cycle.champion import tracker_of
from flows.cycle.commit_version import commit_dataset_version
from flows.cycle.config import CycleConfig
from flows.cycle.evaluate_flow import promote_if_better
from flows.cycle.ingest import ingest_one
from flows.cycle.retrain_flow import run_retraining
from flows.cycle.workspace import open_workspace
from flows.mlflow_tracker import CHAMPION
from flows.programs.demo_data import make_demo_videos
from storage.catalog.catalog import Catalog
from storage.catalog.model_aliases import list_models, model_by_alias, training_runs

DATASET = "stackds"


def test_retrain_on_the_stack_logs_registers_and_promotes(stack_settings, pg_url: str, tmp_path: Path) -> None:
    Catalog.open(pg_url, auto_upgrade=True).close()
    settings = stack_settings.model_copy(update={"database_url": pg_url, "prefect_api_url": None, "device": "cpu",
                                                 "default_model": "builtin:tiny-cpu", "actor": "stack-test"})
    cfg = replace(CycleConfig(), model_name=f"stack-{secrets.token_hex(4)}", train_steps=2, train_clip_len=2,
                  train_max_objects=1, train_origins=("ground_truth",))
    videos = make_demo_videos(tmp_path / "videos", n_train=1, n_val=1, n_frames=4, size=64)
    with open_workspace(settings) as ws:
        for video in videos:
            ingest_one(ws, video.item(), dataset=DATASET)
        ref = commit_dataset_version.fn(ws, DATASET, message="ground truth", cfg=cfg)
        assert ref is not None
        outcome = run_retraining(ws, ref.name, cfg=cfg)
        decision = promote_if_better(ws, outcome.version, ref.name, cfg=cfg)

        client = tracker_of(ws).client
        run = client.get_run(outcome.mlflow_run_id)
        assert run.info.status == "FINISHED" and run.data.params["dataset_version"] == ref.name
        (inp,) = run.inputs.dataset_inputs
        assert inp.dataset.name == ref.name and ref.manifest_sha256.startswith(inp.dataset.digest)
        assert inp.dataset.source_type == "s3" and ref.manifest_key in inp.dataset.source
        assert run.info.artifact_uri.startswith("mlflow-artifacts:") or run.info.artifact_uri.startswith("s3://")
        mv = client.get_model_version(cfg.model_name, str(outcome.version))
        assert mv.run_id == outcome.mlflow_run_id and mv.tags["maskloop.promotion"] == (
            "promoted" if decision.promoted else "kept_champion")
        champion = model_by_alias(ws.catalog, cfg.model_name, CHAMPION)
        assert champion is not None
        assert int(client.get_model_version_by_alias(cfg.model_name, CHAMPION).version) == champion.ref.version
        runs = training_runs(ws.catalog).set_index("id")
        assert runs.loc[outcome.training_run_id, "mlflow_run_id"] == outcome.mlflow_run_id
        registered = {m.ref.version: m for m in list_models(ws.catalog, cfg.model_name)}
        assert registered[outcome.version].ref.uri == mv.source
        assert ws.store.exists(ref.manifest_key)
