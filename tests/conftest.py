"""Session fixtures on the real local service stack, started with the same code as `maskloop stack up`.

- ``stack`` (session): a :class:`flows.stack.records.StackInfo` of a running stack.
  ``MASKLOOP_TEST_STACK_DIR=DIR`` reuses (or starts) the stack in DIR and leaves it running;
  otherwise a fresh temporary stack is started once per test run and stopped at the end.
  ``MASKLOOP_TEST_SERVICES=postgres,s3`` starts only those services (plus their dependencies).
  Label Studio's data directory is therefore migrated at most once per test run.
- ``pg_url`` (function): URL of a fresh empty PostgreSQL database, dropped afterwards.
- ``stack_settings`` (function): :class:`flows.settings.Settings` with ``home=tmp_path`` and every
  service field pointing at the stack.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _requested_services() -> tuple[str, ...]:
    from flows.stack.records import ALL_SERVICES, close_services

    raw = os.environ.get("MASKLOOP_TEST_SERVICES", "").strip()
    if not raw:
        return ALL_SERVICES
    return close_services([s.strip() for s in raw.split(",") if s.strip()])


def _test_config(stack_dir: Path, services: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """Config for a test stack: recorded ports when ``stack_dir`` has run before, else free ones."""
    from flows.settings import Settings
    from flows.stack.manager import config_from_settings
    from flows.stack.ports import pick_ports
    from flows.stack.records import ALL_SERVICES, close_services
    from flows.stack.state import StackState

    recorded = StackState(stack_dir).config()
    if recorded is not None:
        wanted = close_services(tuple(set(recorded.services) | set(services)))
        config = replace(recorded, services=tuple(n for n in ALL_SERVICES if n in wanted))
        if "webhook-receiver" not in recorded.services:  # never started here: a free port, not the default
            config = replace(config, webhook_port=pick_ports(config.host)["webhook_port"])
        return config
    base = Settings(_env_file=None)  # type: ignore[call-arg]
    venv = (
        base.label_studio_venv
        if base.label_studio_venv.is_absolute()
        else REPO_ROOT / base.label_studio_venv
    )
    config = config_from_settings(
        base.model_copy(update={"label_studio_venv": venv}), stack_dir=stack_dir, services=services
    )
    return replace(config, **pick_ports(config.host))


@pytest.fixture(scope="session")
def stack() -> Iterator[object]:
    """A running stack (see module docstring); yields ``flows.stack.records.StackInfo``."""
    from flows.stack.manager import StackManager

    reuse = os.environ.get("MASKLOOP_TEST_STACK_DIR")
    if reuse:
        stack_dir = Path(reuse).resolve()
    else:
        stack_dir = Path(tempfile.mkdtemp(prefix="maskloop-stack-"))
        os.chmod(
            stack_dir, 0o755
        )  # PostgreSQL runs as the postgres user and must reach its data dir
    manager = StackManager(_test_config(stack_dir, _requested_services()))
    try:
        info = manager.up()
        yield info
    finally:
        if not reuse:
            manager.down()
            shutil.rmtree(stack_dir, ignore_errors=True)


@pytest.fixture()
def pg_url(stack) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """SQLAlchemy URL (postgresql+psycopg) of a fresh empty database on the stack; dropped afterwards."""
    import psycopg
    from psycopg import sql

    if stack.postgres_port is None:
        pytest.fail("pg_url needs postgres in MASKLOOP_TEST_SERVICES")
    name = f"test_{secrets.token_hex(6)}"
    admin = {
        "host": stack.host,
        "port": stack.postgres_port,
        "user": "postgres",
        "password": stack.postgres_password,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**admin) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield stack.postgres_url_for(name)
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture()
def stack_settings(stack, tmp_path: Path):  # type: ignore[no-untyped-def]
    """``flows.settings.Settings`` with ``home=tmp_path`` and every service field set to the stack's."""
    from flows.settings import Settings

    values: dict[str, object] = {
        "home": tmp_path,
        "stack_dir": stack.dir,
        "database_url": stack.database_url,
        "s3_endpoint": stack.s3_endpoint,
        "s3_access_key": stack.s3_access_key,
        "s3_secret_key": stack.s3_secret_key,
        "s3_region": stack.s3_region,
        "s3_secure": False,
        "s3_bucket": stack.s3_bucket,
        "s3_worm_bucket": stack.s3_worm_bucket,
        "label_studio_url": stack.label_studio_url,
        "label_studio_token": stack.label_studio_token,
        "webhook_secret": stack.webhook_secret,
        "webhook_url": stack.webhook_url,
        "mlflow_tracking_uri": stack.mlflow_tracking_uri,
        "prefect_api_url": stack.prefect_api_url,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
