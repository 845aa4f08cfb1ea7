"""The auditor API on an embedded SQLite catalog with a full history (build_scenario) and one token
per role; module-scoped catalog, a fresh TestClient per test."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from flows.api.app import create_app
from flows.settings import Settings
from storage.audit.query import audit_events
from storage.catalog.api_tokens import create_token
from storage.catalog.catalog import Catalog
from storage.catalog.synthetic import build_scenario

ROLES = ("auditor", "admin", "data_manager", "ml_engineer")


@dataclass(frozen=True)
class World:
    catalog: Catalog
    scenario: dict
    settings: Settings
    tokens: dict[str, str]  # role -> secret

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def table_counts(self) -> dict[str, int]:
        """Rows per catalog table except the audit trail (which every request appends to)."""
        names = sa.inspect(self.catalog.engine).get_table_names()
        with self.catalog.engine.connect() as conn:
            return {t: conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                    for t in sorted(names) if t not in ("audit_event", "alembic_version")}

    def api_events(self) -> list[tuple]:
        """(actor, role, entity, details JSON) of every api.request event, oldest first."""
        frame = audit_events(self.catalog, action="api.request", limit=None)
        return list(frame[["actor", "role", "entity", "details"]].itertuples(index=False, name=None))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    home = tmp_path_factory.mktemp("api")
    settings = Settings(_env_file=None, home=home)
    catalog = Catalog.open(settings.catalog_url)
    scenario = build_scenario(catalog)
    tokens = {role: create_token(catalog, name=f"{role}-token", role=role, actor="root", actor_role="admin").secret
              for role in ROLES}
    yield World(catalog, scenario, settings, tokens)
    catalog.close()


@pytest.fixture()
def client(world):
    with TestClient(create_app(world.settings)) as c:
        yield c

