"""Command construction of every stack service: loopback only, pinned ports, secrets off the argv."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from flows.settings import Settings
from flows.stack.label_studio import LabelStudioService
from flows.stack.manager import LAYERS, StackManager, config_from_settings
from flows.stack.mlflow_server import MlflowService
from flows.stack.postgres import PostgresService
from flows.stack.prefect_server import PrefectService, PrefectWorkerService
from flows.stack.records import ALL_SERVICES, StackConfig, StackSecrets
from flows.stack.s3 import S3Service, weed_ports
from flows.stack.service import StackContext
from flows.stack.webhook_receiver import WebhookReceiverService

SECRETS = StackSecrets(
    postgres_password="pgSECRETpw",
    s3_access_key="AKSECRET",
    s3_secret_key="skSECRET",
    label_studio_password="lsSECRETpw",
    label_studio_token="tokSECRET",
    webhook_secret="whSECRET",
)


@pytest.fixture()
def ctx(tmp_path: Path) -> StackContext:
    config = StackConfig(
        dir=tmp_path / "stack",
        postgres_port=41000,
        s3_port=42000,
        label_studio_port=43000,
        mlflow_port=44000,
        prefect_port=45000,
        webhook_port=46000,
        label_studio_venv=tmp_path / "lsvenv",
    )
    return StackContext(config=config, secrets=SECRETS, console=Console(file=io.StringIO()))


def _no_secret_in_argv(argv: tuple[str, ...]) -> None:
    joined = " ".join(argv)
    assert "SECRET" not in joined, joined


def test_postgres_listens_on_loopback_with_socket_in_stack_dir(ctx: StackContext) -> None:
    svc = PostgresService(ctx)
    cmd = svc.command()
    assert cmd.argv[0].endswith("/15/bin/postgres")
    assert "listen_addresses=127.0.0.1" in cmd.argv
    assert f"unix_socket_directories={ctx.config.dir / 'postgres' / 'run'}" in cmd.argv
    assert cmd.argv[cmd.argv.index("-p") + 1] == "41000"
    assert svc.ports() == (41000,)
    init = svc.initdb_command(pwfile=ctx.config.dir / "pw", user="postgres")
    assert "--auth=scram-sha-256" in init.argv and init.user == "postgres"
    _no_secret_in_argv(cmd.argv + init.argv)


def test_weed_binds_every_listener_to_loopback(ctx: StackContext) -> None:
    svc = S3Service(ctx)
    argv = svc.command().argv
    assert "-ip=127.0.0.1" in argv and "-ip.bind=127.0.0.1" in argv
    for port in weed_ports(42000).values():
        assert any(a.endswith(f"={port}") for a in argv), port
    assert set(svc.ports()) == set(weed_ports(42000).values())
    assert "-master.telemetry=false" in argv
    _no_secret_in_argv(argv)
    svc.prepare()
    identity = svc.identity_file.read_text()
    assert "AKSECRET" in identity and svc.identity_file.stat().st_mode & 0o777 == 0o600


def test_label_studio_headless_env(ctx: StackContext) -> None:
    cmd = LabelStudioService(ctx).command()
    assert cmd.argv[0] == str(ctx.config.label_studio_venv / "bin" / "label-studio")
    assert cmd.argv[cmd.argv.index("--internal-host") + 1] == "127.0.0.1"
    assert cmd.argv[cmd.argv.index("--port") + 1] == "43000"
    env = cmd.env
    assert env["LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN"] == "true"
    assert env["LABEL_STUDIO_USER_TOKEN"] == "tokSECRET"
    assert env["LATEST_VERSION_CHECK"] == "false"
    # SSRF protection stays on; only loopback (the stack's webhook receiver and S3) is let through
    assert env["SSRF_PROTECTION_ENABLED"] == "true" and env["USE_DEFAULT_BANNED_SUBNETS"] == "false"
    banned = env["USER_ADDITIONAL_BANNED_SUBNETS"].split(",")
    assert "127.0.0.0/8" not in banned and "::1/128" not in banned
    assert {"10.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"} <= set(banned)
    assert float(env["WEBHOOK_TIMEOUT"]) >= 5  # Label Studio's 1 s default drops deliveries on a busy box
    assert env["LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK"] == "true"
    _no_secret_in_argv(cmd.argv)


def test_mlflow_secrets_only_in_environment(ctx: StackContext) -> None:
    cmd = MlflowService(ctx).command()
    argv = cmd.argv
    assert (
        argv[argv.index("--host") + 1] == "127.0.0.1" and argv[argv.index("--workers") + 1] == "1"
    )
    assert argv[argv.index("--artifacts-destination") + 1] == "s3://mlflow/artifacts"
    assert cmd.env["MLFLOW_BACKEND_STORE_URI"].startswith(
        "postgresql+psycopg://postgres:pgSECRETpw@127.0.0.1:41000/"
    )
    assert cmd.env["MLFLOW_S3_ENDPOINT_URL"] == "http://127.0.0.1:42000"
    assert cmd.env["AWS_SECRET_ACCESS_KEY"] == "skSECRET"
    _no_secret_in_argv(argv)


def test_prefect_server_and_workers(ctx: StackContext) -> None:
    cmd = PrefectService(ctx).command()
    assert cmd.argv[cmd.argv.index("--host") + 1] == "127.0.0.1"
    assert cmd.env["PREFECT_SERVER_DATABASE_CONNECTION_URL"].startswith("postgresql+asyncpg://")
    assert cmd.env["PREFECT_HOME"] == str(ctx.config.dir / "prefect")
    assert "PREFECT_API_URL" in cmd.unset
    _no_secret_in_argv(cmd.argv)
    worker = PrefectWorkerService(ctx, pool="gpu")
    wcmd = worker.command()
    assert worker.name == "worker-gpu"
    assert wcmd.argv[-6:] == ("--pool", "gpu", "--type", "process", "--name", "maskloop-gpu")
    assert wcmd.env["PREFECT_API_URL"] == "http://127.0.0.1:45000/api"


def test_webhook_receiver_serves_the_app_on_loopback_with_the_secret_in_env(ctx: StackContext) -> None:
    svc = WebhookReceiverService(ctx)
    cmd = svc.command()
    argv = cmd.argv
    assert argv[1:5] == ("-m", "uvicorn", "flows.webhook_app:app_from_settings", "--factory")
    assert argv[argv.index("--host") + 1] == "127.0.0.1" and argv[argv.index("--port") + 1] == "46000"
    assert svc.ports() == (46000,)
    assert cmd.env["MASKLOOP_WEBHOOK_SECRET"] == "whSECRET"
    assert cmd.env["MASKLOOP_PREFECT_API_URL"] == cmd.env["PREFECT_API_URL"] == "http://127.0.0.1:45000/api"
    # settings come from this environment alone: its own home, no stack dir (so no stack.env)
    assert cmd.env["MASKLOOP_HOME"] == str(ctx.config.dir / "webhook-receiver")
    assert "MASKLOOP_STACK_DIR" in cmd.unset
    assert svc.url() == "http://127.0.0.1:46000/webhooks/label-studio"
    from flows.webhook_app import (
        WEBHOOK_PATH,  # the path the app serves (FastAPI, imported here only)
    )

    assert svc.url().endswith(WEBHOOK_PATH)
    _no_secret_in_argv(argv)


def test_config_from_settings_and_layers(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, home=tmp_path, stack_postgres_port=1111, stack_webhook_port=2222
    )
    config = config_from_settings(settings, services=("mlflow",))
    assert config.dir == (tmp_path / "stack").resolve() and config.postgres_port == 1111
    assert config.webhook_port == 2222
    assert config.services == ("postgres", "s3", "mlflow")
    assert config.label_studio_venv.is_absolute()
    assert tuple(n for layer in LAYERS for n in layer) == ALL_SERVICES


def test_status_of_a_never_started_dir_is_all_down(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, home=tmp_path)  # type: ignore[call-arg]
    manager = StackManager.for_dir(settings, console=Console(file=io.StringIO()))
    rows = manager.status()
    assert [r.service for r in rows] == list(ALL_SERVICES)
    assert not any(r.up for r in rows)
    assert manager.down() == []
    assert not (tmp_path / "stack" / "secrets.json").exists()


def test_up_refuses_a_port_taken_by_a_stranger(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import socket

    from flows.cli.main import main

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        monkeypatch.setenv("MASKLOOP_STACK_POSTGRES_PORT", str(sock.getsockname()[1]))
        code = main(["stack", "up", "--dir", str(tmp_path / "stack")])
    err = capsys.readouterr().err
    assert code == 4
    assert "error: postgres: port 127.0.0.1:" in err and "MASKLOOP_STACK_POSTGRES_PORT" in err
    assert "Traceback" not in err
    assert not (tmp_path / "stack" / "stack.env").exists()


def test_a_service_that_dies_is_reported_with_its_log(ctx: StackContext) -> None:
    import sys

    from flows.errors import UnavailableError
    from flows.stack import process
    from flows.stack.records import Command
    from flows.stack.service import Service

    class Broken(Service):
        name = "broken"
        startup_timeout_s = 30.0

        def command(self) -> Command:
            return Command(
                argv=(sys.executable, "-c", "print('boom: bad config'); raise SystemExit(3)")
            )

        def is_healthy(self) -> bool:
            return False

    svc = Broken(ctx)
    rec = process.spawn(service=svc.name, command=svc.command(), log=svc.log)
    manager = StackManager(ctx.config, console=ctx.console)
    with pytest.raises(UnavailableError) as err:
        manager._wait_healthy(svc, rec, fresh=True)
    message = str(err.value)
    assert message.startswith("broken exited after start: boom: bad config; see ")
    assert str(svc.log) in message and "\n" not in message
