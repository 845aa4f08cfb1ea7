"""stack.env writing/reading and the StackInfo -> variables mapping (no services)."""

from __future__ import annotations

from pathlib import Path

from flows.settings import load_settings
from flows.stack.env_file import (
    parse,
    read_env_file,
    remove_env_file,
    render,
    stack_env,
    write_env_file,
)
from flows.stack.manager import build_info
from flows.stack.records import StackConfig, StackSecrets

SECRETS = StackSecrets(
    postgres_password="pgpw",
    s3_access_key="AK1",
    s3_secret_key="sk1",
    label_studio_password="lspw",
    label_studio_token="tok1",
    webhook_secret="wh1",
)


def _config(tmp_path: Path, services: tuple[str, ...] | None = None) -> StackConfig:
    cfg = StackConfig(
        dir=tmp_path / "stack",
        postgres_port=41000,
        s3_port=42000,
        label_studio_port=43000,
        mlflow_port=44000,
        prefect_port=45000,
        webhook_port=46000,
    )
    return cfg if services is None else StackConfig(**{**cfg.__dict__, "services": services})


def test_full_stack_env_has_every_variable(tmp_path: Path) -> None:
    env = build_info(_config(tmp_path), SECRETS).env
    assert (
        env["MASKLOOP_DATABASE_URL"]
        == "postgresql+psycopg://postgres:pgpw@127.0.0.1:41000/maskloop"
    )
    assert env["MASKLOOP_S3_ENDPOINT"] == "127.0.0.1:42000"
    assert (env["MASKLOOP_S3_ACCESS_KEY"], env["MASKLOOP_S3_SECRET_KEY"]) == ("AK1", "sk1")
    assert env["MASKLOOP_LABEL_STUDIO_URL"] == "http://127.0.0.1:43000"
    assert env["MASKLOOP_LABEL_STUDIO_TOKEN"] == "tok1"
    assert (
        env["MASKLOOP_MLFLOW_TRACKING_URI"]
        == env["MLFLOW_TRACKING_URI"]
        == "http://127.0.0.1:44000"
    )
    assert env["MASKLOOP_PREFECT_API_URL"] == env["PREFECT_API_URL"] == "http://127.0.0.1:45000/api"
    assert env["MASKLOOP_WEBHOOK_SECRET"] == "wh1"
    assert env["MASKLOOP_WEBHOOK_URL"] == "http://127.0.0.1:46000/webhooks/label-studio"
    assert env["MLFLOW_S3_ENDPOINT_URL"] == "http://127.0.0.1:42000"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_DEFAULT_REGION"]) == (
        "AK1",
        "sk1",
        "us-east-1",
    )


def test_subset_leaves_out_missing_services(tmp_path: Path) -> None:
    info = build_info(_config(tmp_path, ("postgres", "s3")), SECRETS)
    assert (
        info.label_studio_url is None
        and info.mlflow_tracking_uri is None
        and info.prefect_api_url is None
        and info.webhook_url is None
    )
    assert "MASKLOOP_LABEL_STUDIO_URL" not in info.env and "PREFECT_API_URL" not in info.env
    assert "MASKLOOP_WEBHOOK_URL" not in info.env
    assert info.postgres_url_for("x") == "postgresql+psycopg://postgres:pgpw@127.0.0.1:41000/x"
    assert stack_env(info) == info.env


def test_render_parse_round_trip_with_quoting() -> None:
    env = {"A": "plain", "B": "with space", "C": "it's", "D": "", "E": "x=y&z"}
    text = render(env)
    assert all(line.startswith("export ") for line in text.splitlines())
    assert parse(text) == env
    assert parse("# comment\n\nK=v\nexport  L='w x'\n") == {"K": "v", "L": "w x"}


def test_written_file_is_private_and_removable(tmp_path: Path) -> None:
    path = write_env_file(tmp_path, {"MASKLOOP_S3_ENDPOINT": "127.0.0.1:1"})
    assert path == tmp_path / "stack.env"
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_env_file(tmp_path) == {"MASKLOOP_S3_ENDPOINT": "127.0.0.1:1"}
    remove_env_file(tmp_path)
    assert not path.exists() and read_env_file(tmp_path) == {}
    remove_env_file(tmp_path)  # idempotent


def test_load_settings_reads_the_env_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for key in (
        "MASKLOOP_DATABASE_URL",
        "MASKLOOP_S3_ENDPOINT",
        "MASKLOOP_S3_ACCESS_KEY",
        "MASKLOOP_STACK_DIR",
        "MASKLOOP_LABEL_STUDIO_TOKEN",
        "MASKLOOP_HOME",
        "MASKLOOP_WEBHOOK_URL",
        "MASKLOOP_WEBHOOK_SECRET",
    ):
        monkeypatch.delenv(key, raising=False)
    info = build_info(_config(tmp_path), SECRETS)
    write_env_file(tmp_path / "stack", info.env)
    settings = load_settings(home=tmp_path)
    assert settings.database_url == info.database_url
    assert settings.s3_endpoint == "127.0.0.1:42000" and settings.uses_s3
    assert settings.s3_access_key is not None and settings.s3_access_key.get_secret_value() == "AK1"
    assert (
        settings.label_studio_token is not None
        and settings.label_studio_token.get_secret_value() == "tok1"
    )
    assert settings.tracking_uri == "http://127.0.0.1:44000"
    assert settings.webhook_url == "http://127.0.0.1:46000/webhooks/label-studio"
    assert settings.webhook_secret is not None and settings.webhook_secret.get_secret_value() == "wh1"
