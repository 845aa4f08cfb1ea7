"""infra/prefect.yaml and what `maskloop deploy` registers agree, deployment by deployment."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from flows.errors import InvalidInputError
from flows.orchestration.deployer import deploy_kwargs, repo_root, schedule_slug
from flows.orchestration.deployment_spec import PREFECT_YAML, find_spec, load_specs, spec_from_dict
from flows.stack.records import WORK_POOLS
from flows.webhook_app import EVENT_NAME, event_resource
from ui_adapters.records import WebhookEvent

YAML_PATH = repo_root() / PREFECT_YAML
RAW = yaml.safe_load(YAML_PATH.read_text(encoding="utf-8"))
SPECS = load_specs(YAML_PATH)
ENV = {"MASKLOOP_HOME": "/srv/maskloop"}


def test_every_required_deployment_is_defined_on_a_stack_pool() -> None:
    names = {s.name for s in SPECS}
    assert {"generate-masklets", "annotation-round", "sync-reviews", "retrain", "retrain-check"} <= names
    assert all(s.work_pool in WORK_POOLS for s in SPECS)
    assert find_spec(SPECS, "generate-masklets").work_pool == "gpu"
    assert find_spec(SPECS, "retrain").work_pool == "gpu"


@pytest.mark.parametrize("raw", RAW["deployments"], ids=lambda d: d["name"])
def test_deploy_registers_exactly_what_the_yaml_says(raw: dict) -> None:  # type: ignore[type-arg]
    spec = find_spec(SPECS, raw["name"])
    kwargs = deploy_kwargs(spec, env=ENV)
    assert kwargs["name"] == raw["name"]
    assert kwargs["work_pool_name"] == raw["work_pool"]["name"]
    assert kwargs["tags"] == list(raw.get("tags") or [])
    assert kwargs["parameters"] == (raw.get("parameters") or {})
    assert kwargs["concurrency_limit"] == raw.get("concurrency_limit")
    assert kwargs["build"] is False and kwargs["push"] is False  # never a Docker image
    registered = [(s.cron, s.timezone, s.slug) for s in kwargs["schedules"]]
    expected = [(s["cron"], s.get("timezone", "UTC"), schedule_slug(raw["name"], i))
                for i, s in enumerate(raw.get("schedules") or [])]
    assert registered == expected
    triggers = kwargs["triggers"]
    assert [set(t.expect) for t in triggers] == [set(t["expect"]) for t in raw.get("triggers") or []]
    assert [t.parameters for t in triggers] == [t.get("parameters") for t in raw.get("triggers") or []]
    assert kwargs["job_variables"]["env"]["MASKLOOP_HOME"] == "/srv/maskloop"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_entrypoint_is_a_prefect_flow_taking_the_templated_parameters(spec) -> None:  # type: ignore[no-untyped-def]
    import importlib
    import inspect

    from prefect import Flow

    path = repo_root() / spec.entrypoint_path
    assert path.is_file(), f"{spec.name}: entrypoint {spec.entrypoint} is missing"
    module = importlib.import_module(spec.entrypoint_path.removesuffix(".py").replace("/", "."))
    flow = getattr(module, spec.function_name)
    assert isinstance(flow, Flow)
    accepted = set(inspect.signature(flow.fn).parameters)
    used = set(spec.parameters)
    for trigger in spec.triggers:
        used |= set(trigger.parameters)
    for schedule in spec.schedules:
        used |= set(schedule.parameters)
    assert used <= accepted, f"{spec.name}: {sorted(used - accepted)} are not parameters of {spec.entrypoint}"


def test_review_trigger_matches_the_event_the_webhook_receiver_emits() -> None:
    from fnmatch import fnmatch

    spec = find_spec(SPECS, "sync-reviews")
    (trigger,) = spec.triggers
    assert trigger.expect == (EVENT_NAME,)
    event = WebhookEvent(project_id=7, task_id=1, annotation_id=2, action="ANNOTATION_CREATED",
                         annotation_updated_at="2026-01-01T00:00:00Z")
    resource = event_resource(event)
    assert all(fnmatch(resource[k], pattern) for k, pattern in trigger.match.items())
    assert trigger.parameters == {"project_id": "{{ event.payload.project_id }}"}
    assert spec.schedules, "sync-reviews needs a safety-net schedule"


@pytest.mark.parametrize(
    "raw, fragment",
    [
        ({"name": "x", "entrypoint": "a.py", "work_pool": {"name": "cpu"}}, "entrypoint"),
        ({"name": "x", "entrypoint": "a.py:f"}, "work_pool"),
        ({"name": "x", "entrypoint": "a.py:f", "work_pool": {"name": "cpu"}, "schedules": [{"cron": "* *"}]}, "cron"),
        ({"name": "x", "entrypoint": "a.py:f", "work_pool": {"name": "cpu"}, "triggers": [{"expect": ["e"]}]},
         "match"),
        ({"name": "x", "entrypoint": "a.py:f", "work_pool": {"name": "cpu"}, "concurrency_limit": 0}, "concurrency"),
    ],
)
def test_malformed_entries_say_what_is_wrong(raw: dict, fragment: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidInputError, match=fragment):
        spec_from_dict(raw)


def test_duplicate_names_are_rejected(tmp_path: Path) -> None:
    entry = {"name": "x", "entrypoint": "a.py:f", "work_pool": {"name": "cpu"}}
    path = tmp_path / "prefect.yaml"
    path.write_text(yaml.safe_dump({"deployments": [entry, entry]}), encoding="utf-8")
    with pytest.raises(InvalidInputError, match="unique"):
        load_specs(path)
