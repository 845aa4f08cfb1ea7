"""PostgreSQL 15 cluster of the stack: initdb once, password auth, loopback TCP + socket in the stack dir.

Runs as the ``postgres`` OS user when we are root (PostgreSQL refuses to run as root): the data
directory is chowned to it and the process is started with that uid/gid.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
from pathlib import Path

from flows.errors import UnavailableError
from flows.stack.process import log_tail, run_once
from flows.stack.records import DATABASES, Command
from flows.stack.service import Service

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "postgres"


def os_user() -> str | None:
    """OS user to run PostgreSQL as: ``postgres`` when we are root, else None (ourselves)."""
    return PG_USER if os.geteuid() == 0 else None


class PostgresService(Service):
    """PostgreSQL on ``config.postgres_port``; databases :data:`DATABASES` (pg_trgm in ``prefect``)."""

    name = "postgres"
    startup_timeout_s = 60.0
    stop_signal = signal.SIGINT  # "fast" shutdown: does not wait for clients to disconnect

    @property
    def root(self) -> Path:
        return self.config.dir / "postgres"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    def ports(self) -> tuple[int, ...]:
        return (self.config.postgres_port,)

    def prepare(self) -> None:
        if not (PG_BIN / "postgres").is_file():
            raise UnavailableError(f"PostgreSQL 15 not found in {PG_BIN}; install postgresql-15")
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        user = os_user()
        if user is not None:  # the postgres user must be able to reach <dir>/postgres
            for path in (self.config.dir, self.root):
                os.chmod(path, os.stat(path).st_mode | 0o011)
        if (self.data_dir / "PG_VERSION").is_file():
            self._chown(user)
            return
        self.ctx.console.print("[cyan]postgres[/]: initdb (first start)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        pwfile = self.root / ".pwfile"
        pwfile.write_text(self.ctx.secrets.postgres_password + "\n", encoding="utf-8")
        os.chmod(pwfile, 0o600)
        self._chown(user)
        try:
            run_once(command=self.initdb_command(pwfile=pwfile, user=user), log=self.log)
        except Exception as exc:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            raise UnavailableError(
                f"initdb failed ({' | '.join(log_tail(self.log, lines=2))}); see {self.log}"
            ) from exc
        finally:
            pwfile.unlink(missing_ok=True)

    def initdb_command(self, *, pwfile: Path, user: str | None) -> Command:
        """initdb with scram-sha-256 for every connection and the password from ``pwfile``."""
        return Command(
            argv=(
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                PG_USER,
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--locale=C",
            ),
            cwd=self.root,
            user=user,
        )

    def command(self) -> Command:
        """``postgres -D data`` listening on the loopback host only, socket in the stack dir."""
        return Command(
            argv=(
                str(PG_BIN / "postgres"),
                "-D",
                str(self.data_dir),
                "-p",
                str(self.config.postgres_port),
                "-c",
                f"listen_addresses={self.config.host}",
                "-c",
                f"unix_socket_directories={self.socket_dir}",
                "-c",
                "synchronous_commit=off",
                "-c",
                "max_connections=200",
            ),
            cwd=self.root,
            user=os_user(),
        )

    def _connect(self, dbname: str = "postgres"):
        import psycopg

        return psycopg.connect(
            host=self.config.host,
            port=self.config.postgres_port,
            user=PG_USER,
            password=self.ctx.secrets.postgres_password,
            dbname=dbname,
            connect_timeout=3,
            autocommit=True,
        )

    def is_healthy(self) -> bool:
        import psycopg

        try:
            with self._connect() as conn:
                return conn.execute("SELECT 1").fetchone() == (1,)
        except psycopg.Error:
            return False

    def after_start(self) -> None:
        from psycopg import sql

        with self._connect() as conn:
            existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
            for db in DATABASES:
                if db not in existing:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))
        with self._connect("prefect") as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    def url(self) -> str:
        return f"postgresql://{self.config.host}:{self.config.postgres_port}"

    def _chown(self, user: str | None) -> None:
        if user is None:
            return
        pw = pwd.getpwnam(user)
        for path in (self.root, *self.root.rglob("*")):
            os.lchown(path, pw.pw_uid, pw.pw_gid)
        os.chmod(self.data_dir, 0o700)
