"""Orders the stack's services: postgres, s3 -> label-studio, mlflow, prefect -> the two workers
and the webhook receiver.

``up`` reuses every recorded process that is still ours and healthy, starts the rest (one session
per process, recorded in state.json right away so ``down`` can always stop it), runs each
service's idempotent setup and writes ``stack.env``. ``down`` stops exactly the recorded
processes, newest layer first, verifies none survived and removes ``stack.env``; data stays.
"""

from __future__ import annotations

import signal
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from flows.errors import ConflictError, FlowError, UnavailableError
from flows.settings import Settings
from flows.stack import process
from flows.stack.env_file import read_env_file, remove_env_file, stack_env, write_env_file
from flows.stack.label_studio import LabelStudioService
from flows.stack.mlflow_server import MlflowService
from flows.stack.postgres import PostgresService
from flows.stack.prefect_server import PrefectService, PrefectWorkerService
from flows.stack.records import (
    ALL_SERVICES,
    ProcessRecord,
    ServiceStatus,
    StackConfig,
    StackInfo,
    StackSecrets,
    close_services,
)
from flows.stack.s3 import S3Service
from flows.stack.service import Service, StackContext, port_in_use
from flows.stack.state import SECRETS_FILENAME, StackState, load_or_create_secrets, stack_lock
from flows.stack.webhook_receiver import WebhookReceiverService, receiver_webhook_url

#: Start order; services of one layer start together, then the manager waits for each.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("postgres", "s3"),
    ("label-studio", "mlflow", "prefect"),
    ("worker-gpu", "worker-cpu", "webhook-receiver"),
)

_PORT_SETTING = {
    "postgres": "MASKLOOP_STACK_POSTGRES_PORT",
    "s3": "MASKLOOP_STACK_S3_PORT",
    "label-studio": "MASKLOOP_STACK_LABEL_STUDIO_PORT",
    "mlflow": "MASKLOOP_STACK_MLFLOW_PORT",
    "prefect": "MASKLOOP_STACK_PREFECT_PORT",
    "webhook-receiver": "MASKLOOP_STACK_WEBHOOK_PORT",
}


def config_from_settings(
    settings: Settings, *, stack_dir: Path | None = None, services: tuple[str, ...] = ALL_SERVICES
) -> StackConfig:
    """Stack configuration from the settings (absolute paths, ``services`` closed over dependencies)."""
    return StackConfig(
        dir=(stack_dir or settings.resolved_stack_dir).resolve(),
        host=settings.stack_host,
        postgres_port=settings.stack_postgres_port,
        s3_port=settings.stack_s3_port,
        label_studio_port=settings.stack_label_studio_port,
        mlflow_port=settings.stack_mlflow_port,
        prefect_port=settings.stack_prefect_port,
        webhook_port=settings.stack_webhook_port,
        label_studio_venv=settings.label_studio_venv.resolve(),
        s3_region=settings.s3_region,
        s3_bucket=settings.s3_bucket,
        s3_worm_bucket=settings.s3_worm_bucket,
        services=close_services(services),
    )


def load_secrets(stack_dir: Path) -> StackSecrets | None:
    """The stack's secrets, or None when the directory has never been started."""
    return load_or_create_secrets(stack_dir) if (stack_dir / SECRETS_FILENAME).is_file() else None


def build_info(
    config: StackConfig, secrets: StackSecrets, env: dict[str, str] | None = None
) -> StackInfo:
    """Connection details of the stack described by ``config`` (env defaults to :func:`stack_env`)."""
    on = set(config.services)
    h = config.host
    pg = "postgres" in on
    s3 = "s3" in on
    info = StackInfo(
        dir=config.dir,
        env={},
        services=config.services,
        host=h,
        postgres_port=config.postgres_port if pg else None,
        postgres_password=secrets.postgres_password if pg else None,
        database_url=(
            f"postgresql+psycopg://postgres:{secrets.postgres_password}@{h}:{config.postgres_port}/maskloop"
            if pg
            else None
        ),
        s3_endpoint=f"{h}:{config.s3_port}" if s3 else None,
        s3_access_key=secrets.s3_access_key if s3 else None,
        s3_secret_key=secrets.s3_secret_key if s3 else None,
        s3_region=config.s3_region,
        s3_bucket=config.s3_bucket,
        s3_worm_bucket=config.s3_worm_bucket,
        label_studio_url=f"http://{h}:{config.label_studio_port}" if "label-studio" in on else None,
        label_studio_token=secrets.label_studio_token if "label-studio" in on else None,
        mlflow_tracking_uri=f"http://{h}:{config.mlflow_port}" if "mlflow" in on else None,
        prefect_api_url=f"http://{h}:{config.prefect_port}/api" if "prefect" in on else None,
        webhook_secret=secrets.webhook_secret,
        webhook_url=receiver_webhook_url(config) if "webhook-receiver" in on else None,
    )
    return StackInfo(**{**info.__dict__, "env": env if env is not None else stack_env(info)})


class StackManager:
    """``up`` / ``status`` / ``down`` of the stack in ``config.dir``."""

    def __init__(self, config: StackConfig, *, console: Console | None = None) -> None:
        self.config = config
        self.console = console or Console(stderr=True)
        self.state = StackState(config.dir)

    @classmethod
    def for_dir(
        cls,
        settings: Settings,
        *,
        stack_dir: Path | None = None,
        services: tuple[str, ...] | None = None,
        console: Console | None = None,
    ) -> StackManager:
        """Manager of an existing stack dir (its recorded ports win), else a new one from ``settings``.

        ``services``: None keeps the recorded set (all for a new dir); a tuple is added to it.
        """
        fresh = config_from_settings(
            settings, stack_dir=stack_dir, services=services or ALL_SERVICES
        )
        recorded = StackState(fresh.dir).config()
        if recorded is None:
            return cls(fresh, console=console)
        if services is not None:
            wanted = close_services(tuple(set(recorded.services) | set(services)))
            recorded = replace(recorded, services=wanted)
        return cls(recorded, console=console)

    def _services(self, secrets: StackSecrets) -> dict[str, Service]:
        ctx = StackContext(config=self.config, secrets=secrets, console=self.console)
        every: dict[str, Service] = {
            "postgres": PostgresService(ctx),
            "s3": S3Service(ctx),
            "label-studio": LabelStudioService(ctx),
            "mlflow": MlflowService(ctx),
            "prefect": PrefectService(ctx),
            "worker-gpu": PrefectWorkerService(ctx, pool="gpu"),
            "worker-cpu": PrefectWorkerService(ctx, pool="cpu"),
            "webhook-receiver": WebhookReceiverService(ctx),
        }
        return {name: every[name] for name in self.config.services}

    # --- up ------------------------------------------------------------------------------------
    def up(self) -> StackInfo:
        """Start (or reuse) every service; returns the connection details and writes stack.env."""
        with stack_lock(self.config.dir):
            return self._up()

    def _up(self) -> StackInfo:
        secrets = load_or_create_secrets(self.config.dir)
        services = self._services(secrets)
        records = self.state.records()
        self.state.save(config=self.config, records=records)
        for layer in LAYERS:
            started: dict[str, ProcessRecord] = {}
            for name in (n for n in layer if n in services):
                svc = services[name]
                rec = records.get(name)
                if rec is not None and process.is_alive(rec):
                    self.console.print(f"[green]{name}[/]: running (pid {rec.pid}), reusing")
                    continue
                if rec is not None:  # exited since: stop helpers it may have left in its group
                    process.stop(rec, sig=svc.stop_signal, timeout_s=10.0)
                self._check_ports_free(svc)
                svc.prepare()
                rec = process.spawn(service=name, command=svc.command(), log=svc.log)
                records[name] = rec
                started[name] = rec
                self.state.save(config=self.config, records=records)
                self.console.print(f"[cyan]{name}[/]: started (pid {rec.pid}), log {svc.log}")
            for name in (n for n in layer if n in services):
                self._wait_healthy(services[name], records[name], fresh=name in started)
                services[name].after_start()
        info = build_info(self.config, secrets)
        path = write_env_file(self.config.dir, info.env)
        self.console.print(f"stack up; env file {path} (`source` it, or maskloop reads it itself)")
        return info

    def _check_ports_free(self, svc: Service) -> None:
        for port in svc.ports():
            if port_in_use(self.config.host, port):
                hint = _PORT_SETTING.get(svc.name, "the stack port settings")
                raise ConflictError(
                    f"{svc.name}: port {self.config.host}:{port} is already in use by a process this stack did"
                    f" not start; stop it or choose another port with {hint} and a new --dir"
                )

    def _wait_healthy(self, svc: Service, rec: ProcessRecord, *, fresh: bool) -> None:
        with self.console.status(f"waiting for {svc.name}"):
            ok = process.wait_until(
                svc.is_healthy,
                timeout_s=svc.startup_timeout_s,
                alive=lambda: process.is_alive(rec),
            )
        if ok:
            return
        tail = process.log_tail(svc.log, lines=1)
        short = f": {tail[0][:160]}" if tail and len(tail[0]) <= 160 else ""
        state = "did not become healthy" if process.is_alive(rec) else "exited"
        raise UnavailableError(
            f"{svc.name} {state}{' after start' if fresh else ''}{short}; see {svc.log}"
            " (then `maskloop stack down` and `up` again)"
        )

    # --- status / info -------------------------------------------------------------------------
    def status(self) -> list[ServiceStatus]:
        """One row per configured service: up when our recorded process runs and answers."""
        secrets = load_secrets(self.config.dir)
        records = self.state.records()
        if secrets is None:
            placeholder = StackSecrets("", "", "", "", "", "")
            services = self._services(placeholder)
            return [ServiceStatus(service=n, up=False, url=s.url()) for n, s in services.items()]
        rows: list[ServiceStatus] = []
        for name, svc in self._services(secrets).items():
            rec = records.get(name)
            alive = rec is not None and process.is_alive(rec)
            up = alive and _probe(svc)
            rows.append(
                ServiceStatus(
                    service=name, up=up, url=svc.url(), pid=rec.pid if alive and rec else None
                )
            )
        return rows

    def info(self) -> StackInfo:
        """Connection details of this stack (needs a stack that was started at least once)."""
        secrets = load_secrets(self.config.dir)
        if secrets is None:
            raise UnavailableError(f"no stack in {self.config.dir}; run `maskloop stack up` first")
        env = read_env_file(self.config.dir)
        return build_info(self.config, secrets, env or None)

    # --- down ----------------------------------------------------------------------------------
    def down(self) -> list[str]:
        """Stop every recorded process (last layer first); returns the services stopped.

        Raises FlowError naming the pids that survived SIGKILL (never expected).
        """
        if not self.config.dir.is_dir():
            return []
        with stack_lock(self.config.dir):
            return self._down()

    def _down(self) -> list[str]:
        secrets = load_secrets(self.config.dir) or StackSecrets("", "", "", "", "", "")
        services = self._services(secrets)
        records = self.state.records()
        stopped: list[str] = []
        survivors: list[int] = []
        for layer in reversed(LAYERS):
            for name in reversed(layer):
                rec = records.get(name)
                if rec is None:
                    continue
                sig = services[name].stop_signal if name in services else signal.SIGTERM
                if process.family(rec):
                    with self.console.status(f"stopping {name}"):
                        survivors += process.stop(rec, sig=sig, timeout_s=30.0)
                    stopped.append(name)
                    self.console.print(f"[yellow]{name}[/]: stopped (pid {rec.pid})")
                del records[name]
                self.state.save(config=self.config, records=records)
        remove_env_file(self.config.dir)
        if survivors:
            raise FlowError(f"processes survived SIGKILL: {survivors}; check them with `ps -p`")
        return stopped


def _probe(svc: Service) -> bool:
    try:
        return bool(svc.is_healthy())
    except Exception:  # noqa: BLE001 - a failing probe means "down"
        return False
