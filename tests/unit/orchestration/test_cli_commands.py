"""`maskloop deploy` and `maskloop round schedule` report user mistakes and missing servers clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from flows.cli import round_cmd, round_schedule_cmd  # noqa: F401  (adds `schedule` to the round group)
from flows.cli.context import CliContext
from flows.cli.deploy_cmd import deploy
from flows.cli.main import main
from flows.errors import InvalidInputError, UnavailableError


def _app(home: Path) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root(ctx: typer.Context) -> None:
        ctx.obj = CliContext(home=home)

    app.command("deploy")(deploy)
    app.add_typer(round_cmd.app, name="round")
    return app


@pytest.fixture(autouse=True)
def _no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MASKLOOP_PREFECT_API_URL", "MASKLOOP_STACK_DIR", "MASKLOOP_HOME"):
        monkeypatch.delenv(name, raising=False)


def test_deploy_without_a_prefect_server_says_how_to_start_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(tmp_path), ["deploy"])
    assert isinstance(result.exception, UnavailableError)
    assert "maskloop stack up" in str(result.exception)
    assert result.exception.exit_code == 5


def test_deploy_rejects_zero_gpu_workers(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(tmp_path), ["deploy", "--gpu-workers", "0"])
    assert result.exit_code == 2  # a usage error from the option's bounds


def test_schedule_with_a_bad_cron_is_invalid_input(tmp_path: Path) -> None:
    args = ["round", "schedule", "--dataset", "d", "--cron", "every day", "--videos", "3"]
    result = CliRunner().invoke(_app(tmp_path), args)
    assert isinstance(result.exception, InvalidInputError) and "5 fields" in str(result.exception)


def test_schedule_without_a_server_is_unavailable(tmp_path: Path) -> None:
    args = ["round", "schedule", "--dataset", "d", "--cron", "0 6 * * 1-5", "--videos", "3"]
    result = CliRunner().invoke(_app(tmp_path), args)
    assert isinstance(result.exception, UnavailableError)


def test_schedule_is_listed_in_the_round_group(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["round", "--help"]) == 0
    assert "schedule" in capsys.readouterr().out
