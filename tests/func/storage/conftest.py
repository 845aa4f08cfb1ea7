"""Fixtures shared by the storage tests that drive the real CLI against the stack."""

from __future__ import annotations

import pytest

from flows.settings import Settings
from storage.catalog.catalog import Catalog


@pytest.fixture()
def cli_settings(stack_settings: Settings, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings on a fresh migrated PostgreSQL catalog + the stack's S3, exported as MASKLOOP_*
    variables so that ``flows.cli.main.main([...])`` in this process uses them."""
    Catalog.open(pg_url, auto_upgrade=True).close()
    configured = stack_settings.model_copy(update={"database_url": pg_url, "actor": "stack-tester"})
    for name in ("home", "database_url", "s3_endpoint", "s3_region", "s3_bucket", "s3_worm_bucket", "actor"):
        monkeypatch.setenv(f"MASKLOOP_{name.upper()}", str(getattr(configured, name)))
    for name in ("s3_access_key", "s3_secret_key"):
        monkeypatch.setenv(f"MASKLOOP_{name.upper()}", getattr(configured, name).get_secret_value())
    monkeypatch.delenv("MASKLOOP_STACK_DIR", raising=False)
    return configured
