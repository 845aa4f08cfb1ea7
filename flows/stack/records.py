"""Typed records of the local service stack: configuration, secrets, processes, status, info.

Every record is a frozen dataclass; ports are TCP port numbers on ``host`` (always loopback),
times are seconds since the epoch (float, as :func:`psutil.Process.create_time` returns them).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

#: Service names in start order (the two workers share the ``prefect-worker`` service class).
ALL_SERVICES: tuple[str, ...] = (
    "postgres",
    "s3",
    "label-studio",
    "mlflow",
    "prefect",
    "worker-gpu",
    "worker-cpu",
    "webhook-receiver",
)

#: What each service needs running first (``MASKLOOP_TEST_SERVICES`` subsets are closed over this).
DEPENDENCIES: dict[str, tuple[str, ...]] = {
    "postgres": (),
    "s3": (),
    "label-studio": (),
    "mlflow": ("postgres", "s3"),
    "prefect": ("postgres",),
    "worker-gpu": ("prefect",),
    "worker-cpu": ("prefect",),
    "webhook-receiver": ("prefect",),  # turns Label Studio webhooks into Prefect events
}

#: Databases created in the stack's PostgreSQL cluster.
DATABASES: tuple[str, ...] = ("maskloop", "mlflow", "prefect")

#: Prefect process work pools, one worker each.
WORK_POOLS: tuple[str, ...] = ("gpu", "cpu")

#: Bucket holding MLflow artifacts.
MLFLOW_BUCKET = "mlflow"


def close_services(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``names`` plus everything they depend on, in start order; unknown names raise ValueError."""
    wanted: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name not in DEPENDENCIES:
            raise ValueError(f"unknown stack service {name!r}; known: {', '.join(ALL_SERVICES)}")
        if name not in wanted:
            wanted.add(name)
            todo.extend(DEPENDENCIES[name])
    return tuple(n for n in ALL_SERVICES if n in wanted)


@dataclass(frozen=True)
class StackConfig:
    """Where the stack lives and which loopback ports it uses.

    ``s3_port`` is the S3 gateway; SeaweedFS's other listeners use ``s3_port + 1 .. + 6`` and
    their gRPC ports ``+ 10000`` (see :func:`flows.stack.s3.weed_ports`).
    """

    dir: Path
    host: str = "127.0.0.1"
    postgres_port: int = 55432
    s3_port: int = 8333
    label_studio_port: int = 8089
    mlflow_port: int = 5001
    prefect_port: int = 4201
    webhook_port: int = 8765
    label_studio_venv: Path = Path(".venv-labelstudio")
    s3_region: str = "us-east-1"
    s3_bucket: str = "maskloop"
    s3_worm_bucket: str = "maskloop-worm"
    services: tuple[str, ...] = ALL_SERVICES

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (paths as strings, services as a list)."""
        out = asdict(self)
        out["dir"] = str(self.dir)
        out["label_studio_venv"] = str(self.label_studio_venv)
        out["services"] = list(self.services)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StackConfig:
        """Inverse of :meth:`to_json`; unknown keys are ignored."""
        known = {f.name for f in fields(cls)}
        clean = {k: v for k, v in data.items() if k in known}
        clean["dir"] = Path(clean["dir"])
        if "label_studio_venv" in clean:
            clean["label_studio_venv"] = Path(clean["label_studio_venv"])
        if "services" in clean:
            clean["services"] = tuple(clean["services"])
        return cls(**clean)


@dataclass(frozen=True)
class StackSecrets:
    """Generated once per stack directory and kept in ``<dir>/secrets.json`` (mode 0600)."""

    postgres_password: str
    s3_access_key: str
    s3_secret_key: str
    label_studio_password: str
    label_studio_token: str
    webhook_secret: str
    label_studio_user: str = "admin@maskloop.local"


@dataclass(frozen=True)
class ProcessRecord:
    """A process the stack started: ``pid`` plus its ``create_time`` so a recycled pid is never ours."""

    service: str
    pid: int
    create_time: float
    log: Path
    argv: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Command:
    """How to launch one service process: ``env`` overrides a copy of ``os.environ`` minus ``unset``."""

    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    unset: tuple[str, ...] = ()
    cwd: Path | None = None
    user: str | None = None


@dataclass(frozen=True)
class ServiceStatus:
    """One row of ``maskloop stack status``."""

    service: str
    up: bool
    url: str
    pid: int | None = None


@dataclass(frozen=True)
class StackInfo:
    """What a running stack offers its clients (the test fixture ``stack`` yields this).

    ``env`` is the content of ``<dir>/stack.env``; fields of services that are not part of the
    stack (``MASKLOOP_TEST_SERVICES`` subsets) are None.
    """

    dir: Path
    env: dict[str, str]
    services: tuple[str, ...]
    host: str
    postgres_port: int | None
    postgres_password: str | None
    database_url: str | None
    s3_endpoint: str | None
    s3_access_key: str | None
    s3_secret_key: str | None
    s3_region: str
    s3_bucket: str
    s3_worm_bucket: str
    label_studio_url: str | None
    label_studio_token: str | None
    mlflow_tracking_uri: str | None
    prefect_api_url: str | None
    webhook_secret: str
    #: Where Label Studio posts review webhooks (the stack's receiver), None without one.
    webhook_url: str | None = None

    def postgres_url_for(self, dbname: str, *, driver: str = "postgresql+psycopg") -> str:
        """SQLAlchemy URL of database ``dbname`` as the superuser ``postgres``."""
        if self.postgres_port is None or self.postgres_password is None:
            raise RuntimeError("this stack has no PostgreSQL service")
        return f"{driver}://postgres:{self.postgres_password}@{self.host}:{self.postgres_port}/{dbname}"

    @property
    def admin_url(self) -> str:
        """URL of the ``postgres`` maintenance database (create/drop databases from here)."""
        return self.postgres_url_for("postgres")
