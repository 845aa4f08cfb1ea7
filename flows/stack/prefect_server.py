"""Prefect 3.8.8 server on the stack's PostgreSQL (asyncpg), plus the process work pools.

``PREFECT_HOME`` is ``<dir>/prefect``; the database URL travels in the environment only.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from flows.stack.records import WORK_POOLS, Command
from flows.stack.service import Service, http_ok

#: Seconds between two polls of a stack worker for new flow runs (Prefect's default is 10): a
#: round's first flow run waits half of it on average before its process starts. One cheap
#: request per worker and interval; infra/compose.yaml and infra/k8s use 2 s for larger fleets.
#: bench/bench_orchestration.py on 2 cores: median orchestration share 4.4 % at 0.25 s against
#: 5.2 % at 0.5 s (4 runs each).
WORKER_QUERY_S = 0.25


def prefect_executable() -> Path:
    """The ``prefect`` console script next to this interpreter."""
    return Path(sys.executable).parent / "prefect"


def prefect_base_env(prefect_home: Path) -> dict[str, str]:
    """Environment shared by the Prefect server and workers (no telemetry, no update checks)."""
    return {
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_CLI_COLORS": "false",
    }


class PrefectService(Service):
    """``prefect server start`` on ``config.prefect_port``; creates pools :data:`WORK_POOLS`."""

    name = "prefect"
    startup_timeout_s = 240.0

    @property
    def home(self) -> Path:
        return self.config.dir / "prefect"

    @property
    def api_url(self) -> str:
        return f"http://{self.config.host}:{self.config.prefect_port}/api"

    def ports(self) -> tuple[int, ...]:
        return (self.config.prefect_port,)

    def prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)

    def command(self) -> Command:
        c, s = self.config, self.ctx.secrets
        db = f"postgresql+asyncpg://postgres:{s.postgres_password}@{c.host}:{c.postgres_port}/prefect"
        env = prefect_base_env(self.home)
        env.update(
            {
                "PREFECT_SERVER_DATABASE_CONNECTION_URL": db,
                "PREFECT_SERVER_API_HOST": c.host,
                "PREFECT_SERVER_API_PORT": str(c.prefect_port),
                "PREFECT_UI_API_URL": self.api_url,
            }
        )
        return Command(
            argv=(
                str(prefect_executable()),
                "server",
                "start",
                "--host",
                c.host,
                "--port",
                str(c.prefect_port),
            ),
            env=env,
            unset=("PREFECT_API_URL", "PREFECT_PROFILE"),
            cwd=self.home,
        )

    def is_healthy(self) -> bool:
        return http_ok(f"{self.api_url}/health")

    def after_start(self) -> None:
        """Create the process work pools (409 = already there)."""
        import httpx
        from prefect.workers.process import ProcessWorker

        template = ProcessWorker.get_default_base_job_template()
        for pool in WORK_POOLS:
            resp = httpx.post(
                f"{self.api_url}/work_pools/",
                json={"name": pool, "type": "process", "base_job_template": template},
                timeout=30.0,
            )
            if resp.status_code not in (201, 409):
                resp.raise_for_status()

    def url(self) -> str:
        return self.api_url


class PrefectWorkerService(Service):
    """``prefect worker start --pool <pool> --type process`` against the stack's server."""

    startup_timeout_s = 60.0

    def __init__(self, ctx, *, pool: str) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ctx)
        self.pool = pool
        self.name = f"worker-{pool}"

    @property
    def api_url(self) -> str:
        return f"http://{self.config.host}:{self.config.prefect_port}/api"

    def command(self) -> Command:
        home = self.config.dir / "prefect"
        env = prefect_base_env(home)
        env["PREFECT_API_URL"] = self.api_url
        env["PREFECT_WORKER_QUERY_SECONDS"] = f"{WORKER_QUERY_S:g}"
        workdir = self.config.dir / "prefect" / f"worker-{self.pool}"
        workdir.mkdir(parents=True, exist_ok=True)
        return Command(
            argv=(
                str(prefect_executable()),
                "worker",
                "start",
                "--pool",
                self.pool,
                "--type",
                "process",
                "--name",
                f"maskloop-{self.pool}",
            ),
            env=env,
            cwd=workdir,
        )

    def is_healthy(self) -> bool:
        """Healthy while the server lists this worker ONLINE with a heartbeat younger than 90 s."""
        import httpx

        try:
            resp = httpx.post(
                f"{self.api_url}/work_pools/{self.pool}/workers/filter", json={}, timeout=5.0
            )
        except httpx.HTTPError:
            return False
        if resp.status_code != 200:
            return False
        now = datetime.now(UTC)
        for worker in resp.json():
            beat = worker.get("last_heartbeat_time")
            if (
                worker.get("name") != f"maskloop-{self.pool}"
                or worker.get("status") != "ONLINE"
                or not beat
            ):
                continue
            if (now - datetime.fromisoformat(beat)).total_seconds() < 90:
                return True
        return False

    def url(self) -> str:
        return f"pool {self.pool}"
