"""Register deployments on the Prefect server: ``flow.from_source(repo root, entrypoint).deploy(...)``.

Process workers run the code straight from the repository checkout (no Docker image is built:
``from_source`` with a local directory gives a ``set_working_directory`` pull step). Registering
is idempotent: a deployment is keyed by ``<flow name>/<deployment name>``, so deploying again
updates it; schedules carry slugs and are updated in place; event triggers are automations owned
by the deployment, which Prefect deletes and recreates on every deploy.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.errors import InvalidInputError
from flows.orchestration.deployment_spec import DeploymentSpec
from flows.orchestration.server_setup import HEARTBEAT_S


@dataclass(frozen=True)
class DeployedRef:
    """A registered deployment: ``full_name`` is ``<flow name>/<deployment name>``."""

    full_name: str
    deployment_id: str
    work_pool: str
    n_schedules: int
    n_triggers: int


def repo_root() -> Path:
    """The repository checkout that holds flows/ and infra/ (what workers run from)."""
    return Path(__file__).resolve().parents[2]


def schedule_slug(deployment: str, index: int) -> str:
    """Stable slug of the ``index``-th schedule of ``deployment`` (updates match on it)."""
    return f"{deployment}-{index}"


def prefect_schedules(spec: DeploymentSpec) -> list[Any]:
    """The spec's cron schedules as Prefect ``Schedule`` objects (with stable slugs)."""
    from prefect.schedules import Cron

    return [
        Cron(s.cron, timezone=s.timezone, active=s.active, parameters=dict(s.parameters), slug=schedule_slug(spec.name, i))
        for i, s in enumerate(spec.schedules)
    ]


def prefect_triggers(spec: DeploymentSpec) -> list[Any]:
    """The spec's event triggers as ``DeploymentEventTrigger`` objects."""
    from prefect.events import DeploymentEventTrigger

    return [
        DeploymentEventTrigger(
            name=t.name or f"{spec.name}__on_{'_'.join(sorted(t.expect))}",
            expect=set(t.expect),
            match=dict(t.match),
            parameters=dict(t.parameters) or None,
        )
        for t in spec.triggers
    ]


def job_variables(env: dict[str, str]) -> dict[str, Any]:
    """Process-worker job variables: the flow run's environment (plus its heartbeat frequency)."""
    return {"env": {**env, "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_S)}}


def deploy_kwargs(spec: DeploymentSpec, *, env: dict[str, str]) -> dict[str, Any]:
    """Keyword arguments of ``Flow.deploy`` for ``spec`` (what registration sends)."""
    return {
        "name": spec.name,
        "work_pool_name": spec.work_pool,
        "job_variables": job_variables(env),
        "schedules": prefect_schedules(spec),
        "triggers": prefect_triggers(spec),
        "parameters": dict(spec.parameters),
        "description": spec.description or None,
        "tags": list(spec.tags),
        "concurrency_limit": spec.concurrency_limit,
        "build": False,
        "push": False,
        "print_next_steps": False,
        "ignore_warnings": True,
    }


def load_flow(spec: DeploymentSpec, *, source: Path) -> Any:
    """The flow object at ``spec.entrypoint`` inside ``source`` (imports that file)."""
    from prefect import flow

    path = source / spec.entrypoint_path
    if not path.is_file():
        raise InvalidInputError(f"deployment {spec.name!r}: entrypoint file {path} does not exist")
    return flow.from_source(source=str(source), entrypoint=spec.entrypoint)


def register(spec: DeploymentSpec, *, source: Path, env: dict[str, str]) -> DeployedRef:
    """Create or update one deployment (needs an active Prefect API, see ``prefect_server``)."""
    flow_obj = load_flow(spec, source=source)
    kwargs = deploy_kwargs(spec, env=env)
    with contextlib.redirect_stdout(io.StringIO()):  # Prefect prints its own table; the CLI prints ours
        deployment_id = flow_obj.deploy(**kwargs)
    return DeployedRef(
        full_name=f"{flow_obj.name}/{spec.name}",
        deployment_id=str(deployment_id),
        work_pool=spec.work_pool,
        n_schedules=len(kwargs["schedules"]),
        n_triggers=len(kwargs["triggers"]),
    )
