"""Alembic environment: runs on the connection handed over by :mod:`storage.migrations.runner`."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import storage.catalog.tables  # noqa: F401  (registers every table on SQLModel.metadata)
from storage.catalog.engine import make_engine

target_metadata = SQLModel.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True)["url"]  # development: alembic ... -x url=...
    with make_engine(url).begin() as conn:
        _run(conn)


# Alembic executes this file inside an EnvironmentContext (which gives ``context`` its ``config``);
# a plain import (e.g. a test walking every module of storage/) must do nothing.
if hasattr(context, "config"):
    main()
