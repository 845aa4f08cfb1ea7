"""The CLI skeleton: groups listed, settings from the environment, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flows.cli.main import main
from flows.settings import load_settings

GROUPS = ["stack", "db", "ingest", "import", "round", "report", "review", "masklet", "dataset", "train", "model",
          "eval", "lineage", "audit", "api", "demo", "version"]


def test_help_lists_every_command_group(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for group in GROUPS:
        assert f" {group} " in out, group


def test_version_prints_distribution_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    assert capsys.readouterr().out.startswith("maskloop ")


def test_user_mistake_is_one_line_and_nonzero() -> None:
    """An unknown option exits non-zero with a short message and no traceback."""
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "dataset", "show", "--no-such-option"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout


def test_layer_error_maps_to_exit_code_and_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli.errors import report_error
    from storage.errors import NotFoundError

    code = report_error(NotFoundError("no masklet 42\nsecond line"))
    err = capsys.readouterr().err
    assert code == 3
    assert err == "error: no masklet 42\n"


def test_embedded_defaults_without_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("MASKLOOP_DATABASE_URL", "MASKLOOP_S3_ENDPOINT", "MASKLOOP_STACK_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MASKLOOP_HOME", str(tmp_path))
    settings = load_settings()
    assert settings.catalog_url == f"sqlite:///{(tmp_path / 'catalog.sqlite').resolve()}"
    assert not settings.uses_s3
    assert settings.objects_dir == tmp_path / "objects"


def test_stack_env_file_switches_to_services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("MASKLOOP_DATABASE_URL", "MASKLOOP_S3_ENDPOINT", "MASKLOOP_STACK_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MASKLOOP_HOME", str(tmp_path))
    (tmp_path / "stack").mkdir()
    (tmp_path / "stack" / "stack.env").write_text(
        "export MASKLOOP_DATABASE_URL=postgresql+psycopg://u:p@127.0.0.1:55432/maskloop\n"
        "export MASKLOOP_S3_ENDPOINT=127.0.0.1:8333\n"
        "export MLFLOW_TRACKING_URI=http://127.0.0.1:5001\n"
    )
    settings = load_settings()
    assert settings.catalog_url.startswith("postgresql+psycopg://")
    assert settings.uses_s3
    # a real environment variable still wins over the file
    monkeypatch.setenv("MASKLOOP_S3_ENDPOINT", "127.0.0.1:9999")
    assert load_settings().s3_endpoint == "127.0.0.1:9999"
