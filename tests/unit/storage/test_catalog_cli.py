"""The catalog commands as a user runs them: db, dataset commit/list/show/diff, lineage, audit."""

from __future__ import annotations

import json
import os

import pytest

from flows.cli.main import main
from storage.catalog.catalog import Catalog
from storage.catalog.synthetic import add_masklets, build_scenario


@pytest.fixture()
def home(tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("MASKLOOP_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MASKLOOP_ACTOR", "carol")
    return tmp_path


def _run(home, *args: str) -> int:
    return main(["--home", str(home), *args])


def test_db_upgrade_and_current(home, capsys) -> None:
    assert _run(home, "db", "upgrade") == 0
    assert "upgraded from empty" in capsys.readouterr().out
    assert _run(home, "db", "upgrade") == 0
    assert "already at" in capsys.readouterr().out
    assert _run(home, "db", "current") == 0
    assert "up to date" in capsys.readouterr().out


def test_commit_list_show_diff_lineage_audit(home, capsys) -> None:
    with Catalog.open(f"sqlite:///{home / 'catalog.sqlite'}") as cat:
        scenario = build_scenario(cat)
        add_masklets(cat, scenario["videos"][2].id, 2, status="accepted", tag="cli", actor="x", role="admin")
    capsys.readouterr()
    assert _run(home, "dataset", "commit", "demo", "-m", "from the cli") == 0
    out = capsys.readouterr().out
    assert "committed demo@3: +2 added" in out
    assert list((home / "objects").rglob("*")), "the manifest blob is in the local object store"
    assert _run(home, "dataset", "commit", "demo", "-m", "again") == 0
    assert "nothing to commit" in capsys.readouterr().out
    assert _run(home, "dataset", "commit", "demo", "-m", "again", "--strict") == 4
    capsys.readouterr()

    assert _run(home, "dataset", "list", "demo", "--format", "json") == 0
    versions = json.loads(capsys.readouterr().out)
    assert [v["number"] for v in versions] == [1, 2, 3] and versions[-1]["created_by"] == "carol"
    assert _run(home, "dataset", "show", "demo@3", "--format", "csv") == 0
    assert capsys.readouterr().out.startswith("split,origin,masklets,videos")
    assert _run(home, "dataset", "show", "demo@3", "--members", "--format", "json") == 0
    assert len(json.loads(capsys.readouterr().out)) == 8
    assert _run(home, "dataset", "diff", "demo@2", "demo@3") == 0
    assert "2 added, 0 removed, 0 changed" in capsys.readouterr().out

    for args in (["masklet", str(scenario["masklets"][0])], ["video", str(scenario["videos"][0].id)],
                 ["dataset", "demo@1"], ["model", "seg@3"]):
        assert _run(home, "lineage", *args, "--format", "json") == 0, args
        rows = json.loads(capsys.readouterr().out)
        assert rows and set(rows[0]) == {"relation", "entity", "name", "at", "actor", "details"}
        assert _run(home, "lineage", *args) == 0  # table
        assert capsys.readouterr().out.strip()
    assert _run(home, "lineage", "model", "seg@3", "--format", "csv") == 0
    assert capsys.readouterr().out.startswith("relation,entity,name,at,actor,details")

    assert _run(home, "audit", "show", "--actor", "carol", "--format", "json") == 0
    events = json.loads(capsys.readouterr().out)
    assert [e["action"] for e in events] == ["version.commit"]
    assert _run(home, "audit", "show", "--action", "masklet.*", "--limit", "2", "--since", "2000-01-01") == 0
    assert _run(home, "audit", "verify") == 0
    assert "audit trail OK" in capsys.readouterr().out


def test_errors_are_one_line_with_exit_codes(home, capsys) -> None:
    assert _run(home, "dataset", "show", "demo") == 2
    assert _run(home, "dataset", "show", "demo@1") == 3
    assert _run(home, "lineage", "masklet", "77") == 3
    assert _run(home, "audit", "show", "--since", "yesterday") == 2
    assert _run(home, "dataset", "commit", "demo", "-m", "x", "--splits", "1,2") == 2
    err = capsys.readouterr().err
    assert "masklet 77 not found" in err and "Traceback" not in err
    assert all(line.startswith("error: ") for line in err.strip().splitlines())


def test_auditor_role_cannot_run_write_commands(home, capsys, monkeypatch) -> None:
    monkeypatch.setenv("MASKLOOP_ROLE", "auditor")
    assert _run(home, "dataset", "commit", "demo", "-m", "x") == 2
    assert _run(home, "db", "upgrade") == 2
    assert "read-only" in capsys.readouterr().err
    assert _run(home, "audit", "verify") == 0  # reading is fine


def test_audit_verify_exits_1_naming_the_broken_event(home, capsys) -> None:
    import sqlalchemy as sa

    with Catalog.open(f"sqlite:///{home / 'catalog.sqlite'}") as cat:
        build_scenario(cat)
        with cat.engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_event SET details = '{}' WHERE id = 9"))
    assert _run(home, "audit", "verify") == 1
    assert "BROKEN at event 9" in capsys.readouterr().err
