"""``maskloop round schedule``: a cron schedule that creates and runs a round of N videos.

Each schedule is its own deployment of the annotation-round flow, named ``round-<dataset>``, on
the annotation-round deployment's work pool, with the parameters of one round. Scheduling the same
dataset again replaces its cron and size (one schedule per dataset; idempotent); ``maskloop
deploy`` never touches these deployments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from flows.errors import InvalidInputError
from flows.orchestration.deployer import DeployedRef, register, repo_root
from flows.orchestration.deployment_spec import DeploymentSpec, ScheduleSpec, find_spec, load_specs
from flows.orchestration.flow_run_env import flow_run_env
from flows.orchestration.prefect_api import prefect_server
from flows.settings import Settings

#: The deployment of infra/prefect.yaml whose flow a scheduled round runs.
ROUND_DEPLOYMENT = "annotation-round"
_NAME_OK = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True)
class RoundSchedule:
    """A registered round schedule: ``deployment`` is ``<flow>/round-<dataset>``."""

    deployment: str
    dataset: str
    cron: str
    timezone: str
    videos: int


def schedule_name(dataset: str) -> str:
    """Deployment name of ``dataset``'s round schedule (lower-case, ``-`` separated)."""
    slug = _NAME_OK.sub("-", dataset.lower()).strip("-")
    return f"round-{slug or 'dataset'}"


def round_parameters(*, dataset: str, videos: int) -> dict[str, object]:
    """Parameters of one scheduled annotation_round run."""
    return {"dataset": dataset, "n_videos": videos}


def check_cron(cron: str, timezone: str) -> None:
    """InvalidInputError unless ``cron`` is a valid 5-field cron expression in ``timezone``."""
    from prefect.client.schemas.schedules import CronSchedule

    if len(cron.split()) != 5:
        raise InvalidInputError(f'--cron needs 5 fields "min hour day month weekday" (got {cron!r})')
    try:
        CronSchedule(cron=cron, timezone=timezone)
    except ValueError as exc:
        raise InvalidInputError(f"invalid --cron {cron!r} or timezone {timezone!r}: {exc}") from exc


def round_schedule_spec(base: DeploymentSpec, *, dataset: str, cron: str, timezone: str, videos: int) -> DeploymentSpec:
    """The deployment spec of ``dataset``'s schedule, derived from the annotation-round spec."""
    return replace(
        base,
        name=schedule_name(dataset),
        description=f"Scheduled annotation rounds of {videos} videos of dataset {dataset!r}.",
        tags=tuple(base.tags) + ("scheduled-round",),
        parameters=round_parameters(dataset=dataset, videos=videos),
        schedules=(ScheduleSpec(cron=cron, timezone=timezone),),
        triggers=(),
        concurrency_limit=1,
    )


def schedule_round(
    settings: Settings,
    *,
    dataset: str,
    cron: str,
    videos: int,
    timezone: str = "UTC",
    prefect_file: Path | None = None,
) -> RoundSchedule:
    """Register (or replace) the cron schedule of ``dataset``'s rounds."""
    if not dataset.strip():
        raise InvalidInputError("--dataset must name a dataset")
    if videos < 1:
        raise InvalidInputError("--videos must be at least 1")
    check_cron(cron, timezone)
    specs = load_specs(prefect_file or repo_root() / "infra" / "prefect.yaml")
    spec = round_schedule_spec(
        find_spec(specs, ROUND_DEPLOYMENT), dataset=dataset, cron=cron, timezone=timezone, videos=videos
    )
    with prefect_server(settings):
        ref: DeployedRef = register(spec, source=repo_root(), env=flow_run_env(settings))
    return RoundSchedule(deployment=ref.full_name, dataset=dataset, cron=cron, timezone=timezone, videos=videos)
