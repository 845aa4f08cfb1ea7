"""`maskloop api token create|revoke|list`, `maskloop api serve --help` and
`maskloop lineage model NAME@VER --format html` on the embedded catalog."""

from __future__ import annotations

import pytest

from flows.cli.main import main
from storage.audit.query import audit_events
from storage.catalog.api_tokens import find_token
from storage.catalog.catalog import Catalog
from storage.catalog.synthetic import build_scenario


@pytest.fixture()
def home(tmp_path, monkeypatch):
    for var in ("MASKLOOP_DATABASE_URL", "MASKLOOP_AUDITOR_DATABASE_URL", "MASKLOOP_ROLE", "MASKLOOP_ACTOR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MASKLOOP_ACTOR", "root")
    with Catalog.open(f"sqlite:///{tmp_path / 'catalog.sqlite'}") as cat:
        build_scenario(cat)
    return tmp_path


def test_token_create_prints_it_once_then_list_and_revoke(home, capsys, monkeypatch) -> None:
    monkeypatch.setenv("MASKLOOP_ROLE", "admin")
    assert main(["--home", str(home), "api", "token", "create", "--role", "auditor", "--name", "ext-audit"]) == 0
    captured = capsys.readouterr()
    secret = captured.out.strip()
    assert secret.startswith("mlk_") and "shown only now" in captured.err
    with Catalog.open(f"sqlite:///{home / 'catalog.sqlite'}") as cat:
        assert find_token(cat, secret).name == "ext-audit"
    assert main(["--home", str(home), "api", "token", "list"]) == 0
    listing = capsys.readouterr().out
    assert "ext-audit" in listing and "auditor" in listing and secret not in listing
    assert main(["--home", str(home), "api", "token", "revoke", "ext-audit"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["--home", str(home), "api", "token", "revoke", "ext-audit"]) == 4
    assert main(["--home", str(home), "api", "token", "revoke", "ghost"]) == 3
    with Catalog.open(f"sqlite:///{home / 'catalog.sqlite'}") as cat:
        events = audit_events(cat, action="api_token.*")
        assert events["action"].tolist() == ["api_token.create", "api_token.revoke"]
        assert set(events["role"]) == {"admin"} and not find_token(cat, secret).active


def test_auditor_role_may_not_create_tokens(home, capsys, monkeypatch) -> None:
    monkeypatch.setenv("MASKLOOP_ROLE", "auditor")
    assert main(["--home", str(home), "api", "token", "create", "--role", "auditor", "--name", "x"]) == 2
    assert "read-only" in capsys.readouterr().err
    monkeypatch.setenv("MASKLOOP_ROLE", "data_manager")
    assert main(["--home", str(home), "api", "token", "create", "--role", "admin", "--name", "x"]) == 2
    assert main(["--home", str(home), "api", "token", "create", "--role", "root", "--name", "x"]) == 2


def test_serve_help_defaults_to_loopback(capsys) -> None:
    assert main(["api", "serve", "--help"]) == 0
    out = capsys.readouterr().out
    assert "127.0.0.1" in out and "8700" in out


def test_lineage_model_html_to_file_and_stdout(home, capsys) -> None:
    out = home / "pages" / "seg3.html"
    assert main(["--home", str(home), "lineage", "model", "seg@3", "--format", "html", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "seg@1" in page
    capsys.readouterr()
    assert main(["--home", str(home), "lineage", "model", "seg@3", "-f", "html"]) == 0
    assert capsys.readouterr().out.startswith("<!DOCTYPE html>")
    assert main(["--home", str(home), "lineage", "model", "seg@3", "-f", "csv"]) == 0
    assert capsys.readouterr().out.startswith("relation,entity,name")
    assert main(["--home", str(home), "lineage", "model", "seg@3", "-f", "csv", "--out", str(out)]) == 2
    assert main(["--home", str(home), "lineage", "model", "seg@77", "-f", "html"]) == 3
