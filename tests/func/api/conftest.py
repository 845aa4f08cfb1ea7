"""A PostgreSQL catalog with a full history, a logged-in maskloop_auditor, tokens, and the API app
reading through the auditor's connection (``MASKLOOP_AUDITOR_DATABASE_URL``)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from flows.api.app import create_app
from flows.settings import Settings
from storage.catalog.api_tokens import create_token
from storage.catalog.auditor import enable_auditor_login
from storage.catalog.catalog import Catalog
from storage.catalog.synthetic import build_scenario


@dataclass(frozen=True)
class PgWorld:
    owner: Catalog  # the catalog owner's connection (test setup and inspection only)
    scenario: dict
    settings: Settings
    tokens: dict[str, str]  # role -> secret
    auditor_url: str


@pytest.fixture()
def pg_world(pg_url, tmp_path):
    owner = Catalog.open(pg_url, auto_upgrade=True)
    scenario = build_scenario(owner)
    password = secrets.token_urlsafe(18)
    enable_auditor_login(owner.engine, password)
    auditor_url = make_url(pg_url).set(username="maskloop_auditor", password=password)
    tokens = {role: create_token(owner, name=f"{role}-token", role=role, actor="root", actor_role="admin").secret
              for role in ("auditor", "admin", "data_manager", "ml_engineer")}
    settings = Settings(_env_file=None, home=tmp_path, database_url=pg_url,
                        auditor_database_url=auditor_url.render_as_string(hide_password=False))
    yield PgWorld(owner, scenario, settings, tokens, auditor_url.render_as_string(hide_password=False))
    owner.close()


@pytest.fixture()
def pg_client(pg_world):
    with TestClient(create_app(pg_world.settings)) as client:
        yield client
