"""Two full rounds of the demo on the embedded defaults (SQLite catalog, local store, Prefect's
ephemeral mode, MLflow on SQLite, the oracle reviewer), small enough for a test: catalog rows,
dataset versions, MLflow runs with their dataset input, registered models, the champion alias and
the report file are all checked."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "cycle"))

from cycle_helpers import TEST_CONFIG

from flows.mlflow_tracker import CHAMPION
from flows.programs.demo import DATASET, DemoConfig, demo_settings, run_demo

CONFIG = DemoConfig(videos_per_round=1, n_val=1, n_frames=4, size=64,
                    cycle=replace(TEST_CONFIG, train_origins=("auto", "manual", "ground_truth")))


def test_demo_runs_two_rounds_with_retraining_and_promotion(tmp_path: Path) -> None:
    from storage.versions.members import get_version, list_versions
    steps: list[str] = []
    result = run_demo(tmp_path, rounds=2, config=CONFIG, step=steps.append)
    assert len(result.rounds) == 2 and any("round 2" in s for s in steps)
    assert result.report.is_file() and "data:image/png;base64," in result.report.read_text()
    doc = result.as_json()
    assert [r["round"] for r in doc["rounds"]] == [1, 2]  # type: ignore[index]
    json.dumps(doc)
    # the same training videos in SAM 2's three phases: equal quality, less editing with propagation
    phases = doc["phases"]
    assert [p["phase"] for p in phases] == [1, 2, 3]  # type: ignore[index]
    assert all(p["J"] >= 0.85 for p in phases)  # type: ignore[index]
    assert phases[0]["frames_edited_pct"] >= phases[1]["frames_edited_pct"]  # type: ignore[index]
    assert "Annotation phases" in result.report.read_text()

    from flows.cycle.champion import tracker_of
    from flows.cycle.workspace import open_workspace
    from storage.catalog.model_aliases import list_models, training_runs
    from storage.catalog.rounds import list_rounds

    with open_workspace(demo_settings(tmp_path)) as ws:
        rounds = list_rounds(ws.catalog, DATASET)
        assert [r.status for r in rounds] == ["closed", "closed"]
        versions = list_versions(ws.catalog, DATASET)
        assert sorted(versions["number"]) == [1, 2]
        for stats in result.rounds:
            assert stats.dataset_version is not None and stats.trained_model is not None
            assert stats.proposed + stats.manual >= stats.accepted + stats.rejected - stats.manual
        runs = training_runs(ws.catalog)
        assert len(runs) == 2 and set(runs["status"]) == {"finished"}
        models = list_models(ws.catalog, CONFIG.cycle.model_name)
        assert [m.ref.version for m in models] == [1, 2, 3]  # bootstrap + one per round
        champions = [m for m in models if CHAMPION in m.aliases]
        assert len(champions) == 1
        tracker = tracker_of(ws)
        for run_id, params in zip(runs["mlflow_run_id"], runs["params"]):
            run = tracker.client.get_run(run_id)
            assert run.info.status == "FINISHED"
            (inp,) = run.inputs.dataset_inputs
            ref = get_version(ws.catalog, params["dataset_version"])
            assert inp.dataset.name == ref.name and ref.manifest_sha256.startswith(inp.dataset.digest)
            assert "file://" in inp.dataset.source
        alias = tracker.client.get_model_version_by_alias(CONFIG.cycle.model_name, CHAMPION)
        assert int(alias.version) == champions[0].ref.version
        assert len(tracker.client.search_model_versions(f"name='{CONFIG.cycle.model_name}'")) == 3
