"""Round schedules (names, cron checks, parameters) and the in-process generation fan-out."""

from __future__ import annotations

from uuid import uuid4

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


class _Limit:
    def __init__(self, limit: int) -> None:
        self.limit = limit


class _Run:
    """A flow run as the client returns it: ``state.type.value`` and ``state.is_final()``."""

    def __init__(self, state: str) -> None:
        from prefect.client.schemas.objects import State, StateType

        self.state = State(type=StateType(state))


class _Client:
    """Answers the fan-out's reads: the ``gpu`` limit and the runs' states, one list per read."""

    def __init__(self, *, limit: int | None = None, reads: list[list[str]] | None = None) -> None:
        self.limit, self.reads, self.n_reads = limit, reads or [], 0

    def read_global_concurrency_limit_by_name(self, name: str) -> _Limit:
        if self.limit is None:
            raise LookupError(name)
        return _Limit(self.limit)

    def read_flow_runs(self, *, flow_run_filter: object, limit: int) -> list[_Run]:
        states = self.reads[min(self.n_reads, len(self.reads) - 1)]
        self.n_reads += 1
        return [_Run(s) for s in states]


def test_one_lead_run_per_gpu_slot_and_one_without_a_limit() -> None:
    from flows.orchestration.fanout import _lead_count

    assert _lead_count(_Client(limit=3)) == 3
    assert _lead_count(_Client(limit=None)) == 1


class _Watch:
    """Stands in for event_watch.EventWatch: counts clears and waits, never sleeps."""

    def __init__(self) -> None:
        self.clears = self.waits = 0

    def clear(self) -> None:
        self.clears += 1

    def wait(self, timeout_s: float) -> bool:
        self.waits += 1
        return True


@pytest.mark.parametrize(("until", "reads_needed"), [("PENDING", 2), ("RUNNING", 3)])
def test_lead_wait_returns_once_every_lead_run_reached_the_state(until: str, reads_needed: int) -> None:
    from flows.orchestration.fanout import _reached, _wait_for

    client, watch = _Client(reads=[["SCHEDULED", "PENDING"], ["PENDING", "PENDING"], ["RUNNING", "COMPLETED"]]), _Watch()
    runs = _wait_for(client, [uuid4(), uuid4()], done=_reached(until), watch=watch, poll_s=1.0, timeout_s=30.0)
    assert client.n_reads == reads_needed
    assert watch.clears == reads_needed and watch.waits == reads_needed - 1  # cleared before every read
    assert len(runs) == 2


def test_final_wait_ends_when_every_run_is_final_and_gives_up_after_its_timeout() -> None:
    from flows.orchestration.fanout import _is_final, _wait_for

    client = _Client(reads=[["RUNNING", "COMPLETED"], ["CRASHED", "COMPLETED"]])
    runs = _wait_for(client, [uuid4(), uuid4()], done=_is_final, watch=_Watch(), poll_s=1.0, timeout_s=None)
    assert [r.state.type.value for r in runs] == ["CRASHED", "COMPLETED"] and client.n_reads == 2

    stuck = _Client(reads=[["SCHEDULED"]])
    runs = _wait_for(stuck, [uuid4()], done=_is_final, watch=_Watch(), poll_s=1.0, timeout_s=0.0)
    assert stuck.n_reads == 1 and runs[0].state.type.value == "SCHEDULED"


def test_fanout_wakes_on_the_flow_run_state_events_prefect_emits() -> None:
    from flows.orchestration.fanout import FLOW_RUN_EVENTS

    assert {"prefect.flow-run.Running", "prefect.flow-run.Completed", "prefect.flow-run.Crashed",
            "prefect.flow-run.Failed", "prefect.flow-run.Cancelled"} <= set(FLOW_RUN_EVENTS)


def test_an_unknown_lead_state_is_refused_before_anything_is_submitted() -> None:
    with pytest.raises(ValueError, match="lead_until"):
        run_generation_fanout(1, [1], api_url="", generate=lambda **kw: None, lead_until="COMPLETED")
