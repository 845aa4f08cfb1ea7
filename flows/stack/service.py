"""Base class of one stack service and the context every service gets.

A service knows how to prepare its files (idempotent), the command that runs it, how to tell it
is healthy, what to set up once it answers (databases, buckets, pools; idempotent) and its URL.
The manager (:mod:`flows.stack.manager`) decides when to start, reuse or stop it.
"""

from __future__ import annotations

import signal
import socket
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from flows.stack.records import Command, StackConfig, StackSecrets


@dataclass(frozen=True)
class StackContext:
    """What a service needs: the configuration, the generated secrets and a console for progress."""

    config: StackConfig
    secrets: StackSecrets
    console: Console

    @property
    def logs_dir(self) -> Path:
        return self.config.dir / "logs"


class Service:
    """One long-running process of the stack. Subclasses set ``name`` and override the hooks."""

    name: str = ""
    #: Seconds to wait for :meth:`is_healthy` after a start.
    startup_timeout_s: float = 60.0
    #: Signal that asks the process to shut down cleanly.
    stop_signal: int = signal.SIGTERM

    def __init__(self, ctx: StackContext) -> None:
        self.ctx = ctx

    @property
    def config(self) -> StackConfig:
        return self.ctx.config

    @property
    def log(self) -> Path:
        """Log file of the service process (stdout and stderr)."""
        return self.ctx.logs_dir / f"{self.name}.log"

    def ports(self) -> tuple[int, ...]:
        """Loopback TCP ports the process will listen on (checked free before a start)."""
        return ()

    def prepare(self) -> None:
        """Create files the process needs (idempotent; may take long on a first run)."""

    def command(self) -> Command:
        """The command that runs the service in the foreground."""
        raise NotImplementedError

    def is_healthy(self) -> bool:
        """True when the service answers (a probe that fails means "not yet")."""
        raise NotImplementedError

    def after_start(self) -> None:
        """Idempotent setup once the service answers (databases, buckets, work pools)."""

    def url(self) -> str:
        """Where clients reach the service (no secrets)."""
        return ""


def port_in_use(host: str, port: int) -> bool:
    """True when something already listens on ``host:port`` (TCP)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def http_ok(url: str, *, timeout_s: float = 2.0, headers: dict[str, str] | None = None) -> bool:
    """True when GET ``url`` answers 200 (never follows redirects, never raises)."""
    import httpx

    try:
        return httpx.get(url, timeout=timeout_s, headers=headers or {}).status_code == 200
    except httpx.HTTPError:
        return False
