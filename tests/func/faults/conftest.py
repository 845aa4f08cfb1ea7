"""Fault injection on the real local stack: stop one service with the stack's own process code,
and bring every service back afterwards (``StackManager.up`` restarts exactly the ones that died),
even when the test fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.stack import process
from flows.stack.manager import StackManager
from flows.stack.state import StackState, load_or_create_secrets


class Services:
    """Stop / restore single services of the session stack in ``stack_dir``."""

    def __init__(self, stack_dir: Path) -> None:
        self.dir = stack_dir
        self.stopped: list[str] = []

    def _manager(self) -> StackManager:
        config = StackState(self.dir).config()
        assert config is not None, f"no stack recorded in {self.dir}"
        return StackManager(config)

    def stop(self, name: str) -> None:
        """Stop service ``name`` the way ``maskloop stack down`` does (its stop signal, then SIGKILL)."""
        manager = self._manager()
        record = StackState(self.dir).records()[name]
        service = manager._services(load_or_create_secrets(self.dir))[name]
        self.stopped.append(name)
        survivors = process.stop(record, sig=service.stop_signal, timeout_s=30.0)
        assert survivors == [], f"{name} survived: {survivors}"
        assert not process.is_alive(record)

    def restore(self) -> None:
        """Start every stopped service again and wait until each is healthy."""
        if self.stopped:
            self._manager().up()
            self.stopped.clear()


@pytest.fixture()
def services(stack) -> Iterator[Services]:  # type: ignore[no-untyped-def]
    """Controls the session stack's services; restores every stopped one at teardown."""
    control = Services(Path(stack.dir))
    try:
        yield control
    finally:
        control.restore()
