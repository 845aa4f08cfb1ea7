"""What a generation flow run pays before and around its body: one interpreter, a light flow
module, a fast hand-over of the ``gpu`` slot, retries without a Prefect task."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from flows.cycle.generate_flow import with_retries
from flows.orchestration import gpu_slot as slot
from flows.orchestration.deployer import OPENMP_ENV, engine_command, job_variables

ROOT = Path(__file__).resolve().parents[3]


def test_flow_runs_start_the_engine_directly_in_this_interpreter() -> None:
    argv = shlex.split(engine_command())
    assert argv == [sys.executable, "-m", "prefect.engine"]
    assert job_variables({})["command"] == engine_command()


def test_openmp_threads_sleep_unless_the_environment_says_otherwise() -> None:
    assert job_variables({})["env"]["OMP_WAIT_POLICY"] == OPENMP_ENV["OMP_WAIT_POLICY"] == "PASSIVE"
    assert job_variables({"OMP_WAIT_POLICY": "ACTIVE"})["env"]["OMP_WAIT_POLICY"] == "ACTIVE"


def test_the_generation_flow_module_imports_no_catalog_store_or_model() -> None:
    """The worker imports the entrypoint before the run is Running: keep it to Prefect + parameter types."""
    probe = ("import json, sys; import flows.cycle.generate_flow; "
             "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert not loaded & {"torch", "sam2", "sqlalchemy", "sqlmodel", "pandas", "storage", "model", "mlflow"}


def test_with_retries_retries_then_returns_and_finally_raises() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OSError("transient")
        return "ok"

    assert with_retries(flaky, attempts=3, pause_s=0) == "ok" and len(calls) == 3

    def broken() -> str:
        calls.append(1)
        raise OSError("always")

    calls.clear()
    with pytest.raises(OSError, match="always"):
        with_retries(broken, attempts=2, pause_s=0)
    assert len(calls) == 2


class _Client:
    """Stands in for Prefect's sync client: the ``gpu`` limit's active slots, one read after another."""

    def __init__(self, active: list[int], *, limit: int = 1, missing: bool = False) -> None:
        self.active, self.limit, self.missing, self.reads = list(active), limit, missing, 0

    def __enter__(self) -> "_Client":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def read_global_concurrency_limit_by_name(self, name: str) -> SimpleNamespace:
        from prefect.exceptions import ObjectNotFound

        assert name == slot.GPU_LIMIT
        self.reads += 1
        if self.missing:
            raise ObjectNotFound(http_exc=Exception("404"))
        value = self.active.pop(0) if len(self.active) > 1 else self.active[0]
        return SimpleNamespace(active=True, limit=self.limit, active_slots=value)


def _use(monkeypatch: pytest.MonkeyPatch, client: _Client) -> None:
    import prefect.client.orchestration as orchestration

    monkeypatch.setattr(orchestration, "get_client", lambda **_: client)


def test_a_waiting_run_asks_again_every_poll_until_the_slot_is_free(monkeypatch: pytest.MonkeyPatch) -> None:
    client = _Client([1, 1, 0])
    _use(monkeypatch, client)
    slot._wait_until_free(occupy=1, asked=0.0, timeout_s=None, poll_s=0.0)
    assert client.reads == 3


def test_waiting_for_a_slot_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    _use(monkeypatch, _Client([1]))
    with pytest.raises(TimeoutError, match="gpu"):
        slot._wait_until_free(occupy=1, asked=time.monotonic(), timeout_s=0.05, poll_s=0.02)


def test_no_gpu_limit_means_no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    client = _Client([1], missing=True)
    _use(monkeypatch, client)
    slot._wait_until_free(occupy=1, asked=0.0, timeout_s=None, poll_s=0.0)
    assert client.reads == 1


def test_without_a_server_the_slot_is_free_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slot, "_server_configured", lambda: False)
    with slot.gpu_slot(timeout_s=0.0):
        pass
