"""Retraining on a committed version with MLflow on SQLite, the promotion gate and the manual override."""

from __future__ import annotations

import json
from dataclasses import replace

from cycle_helpers import DATASET, TEST_CONFIG, embedded_settings

from flows.cycle.champion import tracker_of
from flows.cycle.commit_version import commit_dataset_version
from flows.cycle.evaluate_flow import promote_if_better, promote_manually
from flows.cycle.retrain_flow import run_retraining
from flows.cycle.workspace import open_workspace
from flows.mlflow_tracker import CHAMPION
from storage.audit.query import audit_events
from storage.catalog.model_aliases import list_models, model_by_alias, training_runs

CONFIG = replace(TEST_CONFIG, train_origins=("ground_truth",))


def test_retrain_logs_mlflow_registers_and_gates_promotion(cycle_ws) -> None:
    ref = commit_dataset_version.fn(cycle_ws, DATASET, message="ground truth", cfg=CONFIG)
    assert ref is not None and ref.name == f"{DATASET}@1"
    steps: list[int] = []
    outcome = run_retraining(cycle_ws, ref.name, cfg=CONFIG, progress=lambda done, total: steps.append(done))
    assert steps == [1, 2] and outcome.version == 2 and outcome.base == f"{CONFIG.model_name}@1"

    tracker = tracker_of(cycle_ws)
    run = tracker.client.get_run(outcome.mlflow_run_id)
    (inp,) = run.inputs.dataset_inputs
    assert inp.dataset.name == ref.name and ref.manifest_sha256.startswith(inp.dataset.digest)
    assert {t.key: t.value for t in inp.tags}["manifest_sha256"] == ref.manifest_sha256
    assert run.data.params["dataset_version"] == ref.name and "val_JF" in run.data.metrics
    assert run.data.tags["maskloop.training_run_id"] == str(outcome.training_run_id)
    assert len(tracker.client.get_metric_history(run.info.run_id, "loss_total")) == CONFIG.train_steps
    artifacts = {a.path for a in tracker.client.list_artifacts(run.info.run_id)}
    assert {"checkpoint", "evaluation"} <= artifacts
    mv = tracker.client.get_model_version(CONFIG.model_name, "2")
    assert mv.run_id == outcome.mlflow_run_id

    runs = training_runs(cycle_ws.catalog).set_index("id")
    assert runs.loc[outcome.training_run_id, "mlflow_run_id"] == outcome.mlflow_run_id
    assert runs.loc[outcome.training_run_id, "status"] == "finished"
    models = {m.ref.version: m for m in list_models(cycle_ws.catalog, CONFIG.model_name)}
    assert models[2].training_run_id == outcome.training_run_id and models[2].ref.uri == mv.source

    decision = promote_if_better(cycle_ws, 2, ref.name, cfg=CONFIG)
    assert decision.promoted == (decision.candidate_jf > decision.champion_jf)
    champion = model_by_alias(cycle_ws.catalog, CONFIG.model_name, CHAMPION)
    assert champion is not None and champion.ref.version == (2 if decision.promoted else 1)
    assert int(tracker.client.get_model_version_by_alias(CONFIG.model_name, CHAMPION).version) == champion.ref.version
    audited = audit_events(cycle_ws.catalog, action="model.*", limit=None)
    kinds = audited[audited["action"].isin(["model.alias", "model.promotion_decision"])]
    last = json.loads(kinds.iloc[-1]["details"])
    assert last["candidate_JF"] == decision.candidate_jf and last["champion_JF"] == decision.champion_jf

    # an unreachable margin keeps the champion whatever the scores; the decision is still audited
    strict = embedded_settings(cycle_ws.settings.home, promotion_margin=1.0)
    with open_workspace(strict) as ws:
        kept = promote_if_better(ws, 2 if not decision.promoted else 1, ref.name, cfg=CONFIG)
        assert not kept.promoted and kept.champion_after == kept.champion_before
        # the manual override moves it anyway, audited, mirrored in MLflow
        target = 1 if decision.promoted else 2
        promote_manually(ws, CONFIG.model_name, target, reason="test")
        assert model_by_alias(ws.catalog, CONFIG.model_name, CHAMPION).ref.version == target
        assert int(tracker_of(ws).client.get_model_version_by_alias(CONFIG.model_name, CHAMPION).version) == target
        events = audit_events(ws.catalog, action="model.alias", limit=None)
        manual = json.loads(events[events["action"] == "model.alias"].iloc[-1]["details"])
        assert manual["decision"] == "manual" and manual["reason"] == "test"
