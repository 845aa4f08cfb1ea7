"""Round schedules (names, cron checks, parameters) and the in-process generation fan-out."""

from __future__ import annotations

import pytest

from flows.errors import FlowError, InvalidInputError, UnavailableError
from flows.orchestration.deployer import repo_root
from flows.orchestration.deployment_spec import PREFECT_YAML, find_spec, load_specs
from flows.orchestration.fanout import generation_parameters, run_generation_fanout
from flows.orchestration.prefect_api import require_api_url
from flows.orchestration.round_schedule import (
    ROUND_DEPLOYMENT,
    check_cron,
    round_schedule_spec,
    schedule_name,
    schedule_round,
)
from flows.settings import Settings


def test_schedule_name_is_a_valid_deployment_slug() -> None:
    assert schedule_name("Cholec 80/train") == "round-cholec-80-train"
    assert schedule_name("surgery") == "round-surgery"


@pytest.mark.parametrize("cron", ["* * *", "61 * * * *", "not a cron at all x"])
def test_bad_cron_is_invalid_input(cron: str) -> None:
    with pytest.raises(InvalidInputError):
        check_cron(cron, "UTC")


def test_round_schedule_spec_runs_the_round_flow_on_its_pool_with_round_parameters() -> None:
    base = find_spec(load_specs(repo_root() / PREFECT_YAML), ROUND_DEPLOYMENT)
    spec = round_schedule_spec(base, dataset="surgery", cron="0 6 * * 1-5", timezone="UTC", videos=4)
    assert spec.entrypoint == base.entrypoint and spec.work_pool == base.work_pool
    assert spec.name == "round-surgery"
    assert [s.cron for s in spec.schedules] == ["0 6 * * 1-5"]
    assert spec.parameters == {"dataset": "surgery", "n_videos": 4}
    assert spec.triggers == ()


def test_scheduling_without_a_server_says_how_to_get_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(_env_file=None, home=tmp_path)  # type: ignore[call-arg]
    with pytest.raises(UnavailableError, match="stack up"):
        require_api_url(settings)
    with pytest.raises(UnavailableError):
        schedule_round(settings, dataset="d", cron="0 * * * *", videos=2)


def test_in_process_fanout_calls_generation_once_per_distinct_video() -> None:
    calls: list[dict[str, int]] = []
    result = run_generation_fanout(7, [3, 1, 3], api_url="", generate=lambda **kw: calls.append(kw))
    assert calls == [generation_parameters(round_id=7, video_id=3), generation_parameters(round_id=7, video_id=1)]
    assert result.mode == "in-process"
    assert [(r.video_id, r.state) for r in result.runs] == [(3, "COMPLETED"), (1, "COMPLETED")]
    assert result.failed == ()


def test_in_process_fanout_propagates_a_generation_error() -> None:
    def broken(**_: int) -> None:
        raise FlowError("model exploded")

    with pytest.raises(FlowError, match="model exploded"):
        run_generation_fanout(1, [1], api_url="", generate=broken)


def test_in_process_default_is_the_flow_the_deployment_runs() -> None:
    from flows.cycle.generate_flow import generate_video_masklets
    from flows.orchestration.fanout import default_generate

    assert default_generate() is generate_video_masklets
