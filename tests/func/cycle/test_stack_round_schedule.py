"""`maskloop deploy` and `maskloop round schedule` against the stack's Prefect server.

Deploying twice updates in place (same deployment ids, one schedule per entry, one automation per
trigger, the crash detector once); every deployment of infra/prefect.yaml is on its work pool and
runs from this checkout; the `gpu` concurrency limit and pool limit follow --gpu-workers; the
flow runs' environment stored on the server holds no secret; a round schedule is one deployment
per dataset whose cron and size are replaced when scheduled again.
Run: MASKLOOP_TEST_STACK_DIR=/tmp/stack pytest tests/func/cycle/test_stack_round_schedule.py
"""

from __future__ import annotations

import json
import secrets

from flows.cli import round_schedule_cmd  # noqa: F401  (registers `round schedule` until groups.py lists it)
from flows.cli.main import main
from flows.orchestration.deploy_all import default_prefect_file, deploy_all
from flows.orchestration.deployer import repo_root
from flows.orchestration.deployment_spec import load_specs
from flows.orchestration.prefect_api import prefect_server
from flows.orchestration.round_schedule import schedule_name, schedule_round
from flows.orchestration.server_setup import CRASH_AUTOMATION, GPU_LIMIT, GPU_POOL, PREFETCH


def _ours(client, specs):  # type: ignore[no-untyped-def]
    by_entry = {(s.name, s.entrypoint) for s in specs}
    return {d.name: d for d in client.read_deployments() if (d.name, d.entrypoint) in by_entry}


def test_deploy_twice_updates_in_place_with_pools_limits_and_no_secret(stack, stack_settings) -> None:  # type: ignore[no-untyped-def]
    from prefect.client.orchestration import get_client

    specs = load_specs(default_prefect_file())
    first = deploy_all(stack_settings, gpu_workers=2)
    second = deploy_all(stack_settings, gpu_workers=1)
    assert [r.deployment_id for r in first.deployments] == [r.deployment_id for r in second.deployments]
    secret_values = [v for v in (stack.s3_secret_key, stack.s3_access_key, stack.label_studio_token,
                                 stack.postgres_password, stack.webhook_secret) if v]
    with prefect_server(stack_settings), get_client(sync_client=True) as client:
        deployed = _ours(client, specs)
        assert set(deployed) == {s.name for s in specs}
        for spec in specs:
            dep = deployed[spec.name]
            assert dep.work_pool_name == spec.work_pool
            assert len(dep.schedules) == len(spec.schedules)
            assert [s.schedule.cron for s in dep.schedules] == [s.cron for s in spec.schedules]
            assert dep.pull_steps == [
                {"prefect.deployments.steps.set_working_directory": {"directory": str(repo_root())}}]
            env = dep.job_variables["env"]
            assert env["MASKLOOP_STACK_DIR"] == str(stack.dir) and env["MASKLOOP_HOME"] == str(stack_settings.home)
            stored = json.dumps(dep.job_variables)
            assert not any(value in stored for value in secret_values)
            owned = client.read_resource_related_automations(f"prefect.deployment.{dep.id}")
            assert len(owned) == len(spec.triggers)
        assert len(client.read_automations_by_name(CRASH_AUTOMATION)) == 1
        assert client.read_global_concurrency_limit_by_name(GPU_LIMIT).limit == 1
        assert client.read_work_pool(GPU_POOL).concurrency_limit == PREFETCH * 1


def test_round_schedule_is_one_deployment_per_dataset_replaced_when_scheduled_again(
    stack, stack_settings, monkeypatch, capsys  # type: ignore[no-untyped-def]
) -> None:
    from prefect.client.orchestration import get_client

    dataset = f"sched-{secrets.token_hex(3)}"
    deploy_all(stack_settings, only=("annotation-round",))
    first = schedule_round(stack_settings, dataset=dataset, cron="0 6 * * 1-5", videos=4)
    # the CLI command, with the same settings through the environment
    monkeypatch.setenv("MASKLOOP_STACK_DIR", str(stack.dir))
    monkeypatch.setenv("MASKLOOP_HOME", str(stack_settings.home))
    assert main(["round", "schedule", "--dataset", dataset, "--cron", "30 7 * * *", "--videos", "6"]) == 0
    assert f"round-{dataset}" in capsys.readouterr().out
    with prefect_server(stack_settings), get_client(sync_client=True) as client:
        found = [d for d in client.read_deployments() if d.name == schedule_name(dataset)]
        assert len(found) == 1 and first.deployment.endswith(f"/{schedule_name(dataset)}")
        (dep,) = found
        assert [s.schedule.cron for s in dep.schedules] == ["30 7 * * *"]
        assert dep.parameters == {"dataset": dataset, "n_videos": 6}
        assert dep.work_pool_name == "cpu"
        client.delete_deployment(dep.id)
