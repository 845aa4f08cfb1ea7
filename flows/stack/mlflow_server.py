"""MLflow 3.17.2 tracking server: PostgreSQL backend, artifacts proxied to ``s3://mlflow/artifacts``.

Secrets travel in the process environment (``MLFLOW_BACKEND_STORE_URI``, ``AWS_*``), never on the
command line, so ``ps`` shows none.
"""

from __future__ import annotations

import sys
from pathlib import Path

from flows.stack.records import MLFLOW_BUCKET, Command
from flows.stack.service import Service, http_ok


class MlflowService(Service):
    """``mlflow server`` on ``config.mlflow_port`` with one worker."""

    name = "mlflow"
    startup_timeout_s = 240.0

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.config.mlflow_port}"

    def ports(self) -> tuple[int, ...]:
        return (self.config.mlflow_port,)

    def prepare(self) -> None:
        (self.config.dir / "mlflow").mkdir(parents=True, exist_ok=True)

    def command(self) -> Command:
        c, s = self.config, self.ctx.secrets
        backend = (
            f"postgresql+psycopg://postgres:{s.postgres_password}@{c.host}:{c.postgres_port}/mlflow"
        )
        return Command(
            argv=(
                str(Path(sys.executable).parent / "mlflow"),
                "server",
                "--artifacts-destination",
                f"s3://{MLFLOW_BUCKET}/artifacts",
                "--host",
                c.host,
                "--port",
                str(c.mlflow_port),
                "--workers",
                "1",
            ),
            env={
                "MLFLOW_BACKEND_STORE_URI": backend,
                "MLFLOW_S3_ENDPOINT_URL": f"http://{c.host}:{c.s3_port}",
                "AWS_ACCESS_KEY_ID": s.s3_access_key,
                "AWS_SECRET_ACCESS_KEY": s.s3_secret_key,
                "AWS_DEFAULT_REGION": c.s3_region,
                "MLFLOW_TMP_DIR": str(c.dir / "mlflow"),
                # the huey job runner (GenAI jobs) adds ~7 processes; maskloop does not use it
                "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
            },
            cwd=c.dir / "mlflow",
        )

    def is_healthy(self) -> bool:
        return http_ok(f"{self.base_url}/health")

    def url(self) -> str:
        return self.base_url
