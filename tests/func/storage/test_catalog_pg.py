"""The catalog on real PostgreSQL: migrations, immutability triggers, the maskloop_auditor role."""

from __future__ import annotations

import os

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from storage.audit.verify import verify_audit
from storage.catalog.catalog import Catalog
from storage.catalog.synthetic import build_scenario
from storage.catalog.videos import ensure_dataset
from storage.errors import ConflictError, InvalidInputError, UnavailableError
from storage.versions.members import list_versions

IMMUTABLE = ("dataset_version", "dataset_version_change", "video_split", "masklet_revision", "review", "audit_event")


@pytest.fixture()
def pg_catalog(pg_url):
    from storage.catalog.engine import make_engine
    from storage.migrations.runner import upgrade

    engine = make_engine(pg_url)
    upgrade(engine)
    engine.dispose()
    cat = Catalog.open(pg_url)
    yield cat
    cat.close()


def test_unmigrated_postgres_says_run_db_upgrade_then_cli_upgrade_works(pg_url, tmp_path, monkeypatch, capsys) -> None:
    with pytest.raises(UnavailableError, match="maskloop db upgrade"):
        Catalog.open(pg_url)
    from flows.cli.main import main

    monkeypatch.setenv("MASKLOOP_DATABASE_URL", pg_url)
    assert main(["--home", str(tmp_path), "db", "upgrade"]) == 0
    assert "upgraded from empty to" in capsys.readouterr().out
    with Catalog.open(pg_url) as cat:
        assert verify_audit(cat).ok
    assert not (tmp_path / "catalog.sqlite").exists()


def test_postgres_schema_matches_the_table_definitions(pg_catalog: Catalog) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    with pg_catalog.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata) == []
        triggers = conn.execute(sa.text("SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%_immutable'")).scalar()
        assert triggers == len(IMMUTABLE)


def test_immutable_tables_reject_update_delete_truncate(pg_catalog: Catalog) -> None:
    build_scenario(pg_catalog)
    for table in IMMUTABLE:
        for statement in ((f"UPDATE {table} SET {'split' if table == 'video_split' else 'id'} = "
                          f"{'split' if table == 'video_split' else 'id'}"),
                          f"DELETE FROM {table}", f"TRUNCATE {table} CASCADE"):
            with pytest.raises(sa.exc.DBAPIError, match="immutable"), pg_catalog.engine.begin() as conn:
                conn.execute(sa.text(statement))
    with pytest.raises(ConflictError, match="immutable"), pg_catalog.session("tampering") as s:
        s.execute(sa.text("DELETE FROM review"))
    with pg_catalog.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM review")).scalar() > 0
    assert verify_audit(pg_catalog).ok


def test_auditor_role_selects_everything_and_writes_nothing(pg_catalog: Catalog) -> None:
    build_scenario(pg_catalog)
    with pg_catalog.engine.connect() as conn:
        conn.execute(sa.text("SET ROLE maskloop_auditor"))
        assert conn.execute(sa.text("SELECT count(*) FROM masklet")).scalar() > 0
        assert conn.execute(sa.text("SELECT count(*) FROM audit_event")).scalar() > 0
    for statement in ("INSERT INTO dataset (name, created_by, created_at) VALUES ('x', 'e', now())",
                      "UPDATE masklet SET status = 'rejected'", "DELETE FROM masklet"):
        with pg_catalog.engine.connect() as conn:
            conn.execute(sa.text("SET ROLE maskloop_auditor"))
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                conn.execute(sa.text(statement))
    with pg_catalog.engine.connect() as conn:
        flags = conn.execute(sa.text("SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles "
                                     "WHERE rolname = 'maskloop_auditor'")).one()
        assert tuple(flags) == (False, False, False, False)


def test_create_auditor_login_then_read_only_catalog(pg_catalog: Catalog, tmp_path, monkeypatch, capsys) -> None:
    from flows.cli.main import main

    build_scenario(pg_catalog)
    url = make_url(pg_catalog.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("MASKLOOP_DATABASE_URL", url.render_as_string(hide_password=False))
    monkeypatch.setenv("AUDITOR_PW", "correct horse battery")
    assert main(["--home", str(tmp_path), "db", "create-auditor", "--password-env", "AUDITOR_PW"]) == 0
    monkeypatch.setenv("SHORT_PW", "short")
    assert main(["--home", str(tmp_path), "db", "create-auditor", "--password-env", "SHORT_PW"]) == 2
    auditor_url = url.set(username="maskloop_auditor", password="correct horse battery")
    with psycopg.connect(host=url.host, port=url.port, dbname=url.database, user="maskloop_auditor",
                         password="correct horse battery") as conn:
        assert conn.execute("SELECT count(*) FROM video").fetchone()[0] == 3
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO dataset (name, created_by, created_at) VALUES ('x', 'e', now())")
    with Catalog.open(auditor_url.render_as_string(hide_password=False)) as cat:
        assert verify_audit(cat).ok
        assert len(list_versions(cat, "demo")) == 2
        with pytest.raises(InvalidInputError, match="permission denied"):
            ensure_dataset(cat, "new", actor="eve", role="admin")
    monkeypatch.setenv("MASKLOOP_DATABASE_URL", auditor_url.render_as_string(hide_password=False))
    capsys.readouterr()
    assert main(["--home", str(tmp_path), "audit", "verify"]) == 0
    assert "audit trail OK" in capsys.readouterr().out
    assert os.environ["AUDITOR_PW"] not in repr(pg_catalog.engine.url)
