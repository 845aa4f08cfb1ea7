"""The environment deployments hand their flow runs: complete enough, never a secret."""

from __future__ import annotations

from pathlib import Path

from flows.orchestration.deployer import deploy_kwargs, job_variables
from flows.orchestration.deployment_spec import DeploymentSpec
from flows.orchestration.flow_run_env import flow_run_env, secret_names
from flows.orchestration.server_setup import HEARTBEAT_S
from flows.settings import Settings

SECRETS = ("s3-secret-VALUE", "ls-token-VALUE", "hook-secret-VALUE", "pg-pass-VALUE", "s3-access-VALUE")


def _settings(tmp_path: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "home": tmp_path / "home",
        "stack_dir": tmp_path / "stack",
        "database_url": "postgresql+psycopg://postgres:pg-pass-VALUE@127.0.0.1:5432/maskloop",
        "s3_endpoint": "127.0.0.1:8333",
        "s3_access_key": "s3-access-VALUE",
        "s3_secret_key": "s3-secret-VALUE",
        "label_studio_url": "http://127.0.0.1:8089",
        "label_studio_token": "ls-token-VALUE",
        "webhook_secret": "hook-secret-VALUE",
        "mlflow_tracking_uri": "http://127.0.0.1:5001",
        "prefect_api_url": "http://127.0.0.1:4201/api",
    }
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_env_carries_urls_and_absolute_home_but_no_secret(tmp_path: Path) -> None:
    env = flow_run_env(_settings(tmp_path))
    text = repr(env)
    assert not any(secret in text for secret in SECRETS)
    assert Path(env["MASKLOOP_HOME"]).is_absolute()
    assert env["MASKLOOP_S3_ENDPOINT"] == "127.0.0.1:8333"
    assert env["MASKLOOP_LABEL_STUDIO_URL"] == "http://127.0.0.1:8089"
    assert env["MASKLOOP_MLFLOW_TRACKING_URI"] == "http://127.0.0.1:5001"
    assert env["MASKLOOP_PREFECT_API_URL"] == "http://127.0.0.1:4201/api"
    assert "MASKLOOP_DATABASE_URL" not in env  # holds a password: comes from stack.env instead
    assert "MASKLOOP_STACK_DIR" not in env  # no stack.env there yet
    assert {"MASKLOOP_DATABASE_URL", "MASKLOOP_S3_SECRET_KEY", "MASKLOOP_LABEL_STUDIO_TOKEN"} <= set(
        secret_names(_settings(tmp_path))
    )


def test_stack_dir_travels_when_it_holds_stack_env(tmp_path: Path) -> None:
    (tmp_path / "stack").mkdir()
    (tmp_path / "stack" / "stack.env").write_text("export MASKLOOP_S3_SECRET_KEY=x\n", encoding="utf-8")
    env = flow_run_env(_settings(tmp_path))
    assert env["MASKLOOP_STACK_DIR"] == str((tmp_path / "stack").resolve())


def test_a_url_without_password_travels(tmp_path: Path) -> None:
    env = flow_run_env(_settings(tmp_path, database_url="sqlite:////srv/catalog.sqlite"))
    assert env["MASKLOOP_DATABASE_URL"] == "sqlite:////srv/catalog.sqlite"


def test_job_variables_set_the_heartbeat_that_crash_detection_relies_on(tmp_path: Path) -> None:
    spec = DeploymentSpec(name="d", entrypoint="f.py:g", work_pool="cpu")
    kwargs = deploy_kwargs(spec, env=flow_run_env(_settings(tmp_path)))
    assert kwargs["job_variables"] == job_variables(flow_run_env(_settings(tmp_path)))
    assert kwargs["job_variables"]["env"]["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] == str(HEARTBEAT_S)
