"""``maskloop deploy``: every deployment of infra/prefect.yaml plus the server-side setup.

Steps (each idempotent): the process work pools named by the deployments exist; the global
concurrency limit ``gpu`` equals ``gpu_workers`` and the ``gpu`` pool limit ``PREFETCH`` times that
(flows/orchestration/server_setup.py); the crashed-run
detector automation exists; every deployment is created or updated from the repository checkout
with the flow runs' non-secret environment (:func:`flows.orchestration.flow_run_env.flow_run_env`)
and the job variables of :func:`flows.orchestration.deployer.job_variables` (engine command,
OpenMP policy, heartbeat).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flows.errors import InvalidInputError, UnavailableError
from flows.orchestration.deployer import DeployedRef, register, repo_root
from flows.orchestration.deployment_spec import PREFECT_YAML, DeploymentSpec, load_specs
from flows.orchestration.flow_run_env import flow_run_env
from flows.orchestration.prefect_api import api_healthy, prefect_server, require_api_url
from flows.orchestration.server_setup import ensure_crash_detector, ensure_gpu_limit
from flows.settings import Settings


@dataclass(frozen=True)
class DeployReport:
    """What ``deploy_all`` registered: deployments, the ``gpu`` limit and the env keys flow runs get."""

    api_url: str
    source: Path
    deployments: tuple[DeployedRef, ...]
    gpu_limit: int
    env_keys: tuple[str, ...]


def default_prefect_file() -> Path:
    """infra/prefect.yaml of this checkout."""
    return repo_root() / PREFECT_YAML


def ensure_pools(client, pools: set[str]) -> None:  # type: ignore[no-untyped-def]
    """Create the missing process work pools among ``pools`` (existing ones are left as they are)."""
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.workers.process import ProcessWorker

    for pool in sorted(pools):
        try:
            client.read_work_pool(pool)
            continue
        except ObjectNotFound:
            pass
        try:
            client.create_work_pool(
                WorkPoolCreate(
                    name=pool, type="process", base_job_template=ProcessWorker.get_default_base_job_template()
                )
            )
        except ObjectAlreadyExists:
            continue


def deploy_all(
    settings: Settings,
    *,
    prefect_file: Path | None = None,
    gpu_workers: int = 1,
    only: tuple[str, ...] = (),
    source: Path | None = None,
) -> DeployReport:
    """Register the deployments of ``prefect_file`` (all, or those named in ``only``)."""
    from prefect.client.orchestration import get_client

    if gpu_workers < 1:
        raise InvalidInputError("--gpu-workers must be at least 1 (the number of GPU workers you run)")
    url = require_api_url(settings)
    if not api_healthy(url):
        raise UnavailableError(f"the Prefect server at {url} does not answer; start it (`maskloop stack up`)")
    specs: tuple[DeploymentSpec, ...] = load_specs(prefect_file or default_prefect_file())
    if only:
        unknown = sorted(set(only) - {s.name for s in specs})
        if unknown:
            raise InvalidInputError(f"unknown deployment(s) {unknown}; known: {[s.name for s in specs]}")
        specs = tuple(s for s in specs if s.name in only)
    src = (source or repo_root()).resolve()
    env = flow_run_env(settings)
    with prefect_server(settings):
        with get_client(sync_client=True) as client:
            ensure_pools(client, {s.work_pool for s in specs} | {"gpu"})
            ensure_gpu_limit(client, gpu_workers=gpu_workers)
            ensure_crash_detector(client)
        refs = tuple(register(spec, source=src, env=env) for spec in specs)
    return DeployReport(
        api_url=url, source=src, deployments=refs, gpu_limit=gpu_workers, env_keys=tuple(sorted(env))
    )
