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
import shlex
import sys
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


def engine_command() -> str:
    """The command a process worker starts a flow run with: this interpreter's
    ``-m flows.orchestration.flow_run_main`` (Prefect's engine, imported with the garbage collector
    paused; see that module).

    Without a ``command`` job variable a Prefect 3.8 process worker starts
    ``python -m prefect.runner._workspace_supervisor``, which imports Prefect, runs the pull steps
    and then execs ``python -m prefect.engine``: two interpreter start-ups and two imports of
    Prefect (seconds each on a busy CPU) before the flow body runs. The engine runs the
    deployment's pull step (``set_working_directory``) itself, so one interpreter is enough. The
    interpreter is the deploying one: workers run the same checkout and environment (the same
    image in production), as the pull step's absolute directory already assumes.
    """
    return shlex.join([sys.executable, "-m", "flows.orchestration.flow_run_main"])


#: OpenMP threads of torch on CPU sleep at barriers instead of spinning. A worker runs up to
#: server_setup.PREFETCH flow runs at once (one on the device, the next one starting next to it), so
#: the CPU is always shared; with the default (spinning) policy torch's CPU model work collapsed
#: when anything else ran on the cores: one video's generation took 12 to 61 s instead of 2 s on 2
#: shared cores, and two at once 60 to 73 s each instead of 4.5 s. No effect on GPU kernels.
OPENMP_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}


def job_variables(env: dict[str, str]) -> dict[str, Any]:
    """Process-worker job variables: the flow run's environment (plus its heartbeat frequency and
    :data:`OPENMP_ENV`; ``env`` wins) and the engine command (:func:`engine_command`)."""
    return {"env": {**OPENMP_ENV, **env, "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": str(HEARTBEAT_S)},
            "command": engine_command()}


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
