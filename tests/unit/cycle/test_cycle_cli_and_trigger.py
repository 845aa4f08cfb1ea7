"""The round/model CLI on an embedded catalog, and the retraining trigger's threshold."""

from __future__ import annotations

import json

import pytest
from cycle_helpers import DATASET, TEST_CONFIG, register_builtin

from flows.cli.main import main
from flows.cycle.auto_retrain import check_and_retrain
from flows.cycle.create_round import plan_round
from flows.cycle.generate_flow import generate_video_masklets
from storage.catalog.rounds import accepted_since_last_version, round_masklets, round_videos


def test_round_status_model_list_and_promote_errors(cycle_ws, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    register_builtin(cycle_ws)
    plan = plan_round(cycle_ws, dataset=DATASET, n_videos=1, cfg=TEST_CONFIG)
    home = str(cycle_ws.settings.home)
    assert main(["--home", home, "round", "status", str(plan.round_id), "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["round_id"] == plan.round_id and status["status"] == "created" and status["proposed"] == 0
    assert main(["--home", home, "model", "list", "--json"]) == 0
    models = json.loads(capsys.readouterr().out)["models"]
    assert [(m["name"], m["version"], m["aliases"]) for m in models] == [(TEST_CONFIG.model_name, 1, ["champion"])]
    assert main(["--home", home, "round", "status", "999"]) == 3
    assert "not found" in capsys.readouterr().err
    assert main(["--home", home, "model", "promote", TEST_CONFIG.model_name, "7"]) == 3
    assert main(["--home", home, "round", "run", str(plan.round_id), "--reviewer", "nobody"]) == 2


def test_retraining_waits_for_enough_new_accepted_masklets(cycle_ws) -> None:  # noqa: ANN001
    register_builtin(cycle_ws)
    plan = plan_round(cycle_ws, dataset=DATASET, n_videos=1, cfg=TEST_CONFIG)
    video = round_videos(cycle_ws.catalog, plan.round_id)[0]
    generate_video_masklets.fn(plan.round_id, video, settings=cycle_ws.settings, config=TEST_CONFIG)
    for mid in round_masklets(cycle_ws.catalog, plan.round_id)["masklet_id"]:
        cycle_ws.catalog.set_masklet_status(int(mid), "accepted", **cycle_ws.who)
    new = accepted_since_last_version(cycle_ws.catalog, DATASET)
    assert new == len(round_masklets(cycle_ws.catalog, plan.round_id)) >= 1
    check = check_and_retrain(cycle_ws, DATASET, cfg=TEST_CONFIG)  # threshold 50 by default
    assert (check.new_accepted, check.threshold, check.dataset_version, check.training) == (new, 50, None, None)
    assert cycle_ws.catalog.list_versions(DATASET).empty
