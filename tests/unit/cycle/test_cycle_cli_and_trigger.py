"""The round/model CLI on an embedded catalog, and the retraining trigger's threshold."""

from __future__ import annotations

import json

import pytest
from cycle_helpers import DATASET, TEST_CONFIG, register_builtin

from flows.cli.main import main
from flows.cycle.auto_retrain import check_and_retrain
from flows.cycle.create_round import plan_round
from flows.cycle.generate_flow import generate_video_masklets
from storage.catalog.masklets import set_masklet_status
from storage.catalog.rounds import round_masklets, round_videos
from storage.catalog.splits import accepted_since_last_version
from storage.versions.members import list_versions


def test_round_status_model_list_and_promote_errors(cycle_ws, capsys: pytest.CaptureFixture[str]) -> None:
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


def test_retraining_waits_for_enough_new_accepted_masklets(cycle_ws) -> None:
    register_builtin(cycle_ws)
    plan = plan_round(cycle_ws, dataset=DATASET, n_videos=1, cfg=TEST_CONFIG)
    video = round_videos(cycle_ws.catalog, plan.round_id)[0]
    generate_video_masklets.fn(plan.round_id, video, settings=cycle_ws.settings, config=TEST_CONFIG)
    for mid in round_masklets(cycle_ws.catalog, plan.round_id)["masklet_id"]:
        set_masklet_status(cycle_ws.catalog, int(mid), "accepted", **cycle_ws.who)
    new = accepted_since_last_version(cycle_ws.catalog, DATASET)
    assert new == len(round_masklets(cycle_ws.catalog, plan.round_id)) >= 1
    check = check_and_retrain(cycle_ws, DATASET, cfg=TEST_CONFIG)  # threshold 50 by default
    assert (check.new_accepted, check.threshold, check.dataset_version, check.training) == (new, 50, None, None)
    assert list_versions(cycle_ws.catalog, DATASET).empty


def test_report_round_and_its_alias_round_report_write_the_same_page(
        cycle_ws, tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import report_cmd, round_cmd

    register_builtin(cycle_ws)
    plan = plan_round(cycle_ws, dataset=DATASET, n_videos=1, cfg=TEST_CONFIG)
    video = round_videos(cycle_ws.catalog, plan.round_id)[0]
    generate_video_masklets.fn(plan.round_id, video, settings=cycle_ws.settings, config=TEST_CONFIG)
    home = str(cycle_ws.settings.home)
    new, alias = tmp_path / "report.html", tmp_path / "alias.html"
    assert main(["--home", home, "report", "round", str(plan.round_id), "--html", str(new)]) == 0
    assert capsys.readouterr().out.strip() == f"report: {new}"
    assert main(["--home", home, "round", "report", str(plan.round_id), "--html", str(alias)]) == 0
    assert capsys.readouterr().out.strip() == f"report: {alias}"
    page = new.read_text()
    assert f"Round {plan.round_id}" in page and f"maskloop round {plan.round_id}" in page
    heading = f"Round {plan.round_id}"
    assert len(page) > 1000 and alias.read_text().count(heading) == page.count(heading) >= 1
    (registered,) = [c for c in round_cmd.app.registered_commands if c.name == "report"]
    assert registered.callback is report_cmd.round_report  # one function behind both names
    assert main(["--home", home, "report", "round", "999", "--html", str(tmp_path / "x.html")]) == 3
    assert "not found" in capsys.readouterr().err
