"""What a generation flow run pays before and around its body: one interpreter, a light flow
module, a fast hand-over of the ``gpu`` slot, retries without a Prefect task."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Self
from uuid import uuid4

import httpx
import pytest

from flows.cycle.generate_flow import with_retries
from flows.orchestration import gpu_slot as slot
from flows.orchestration.deployer import OPENMP_ENV, engine_command, job_variables

ROOT = Path(__file__).resolve().parents[3]


def test_flow_runs_start_the_engine_directly_in_this_interpreter() -> None:
    argv = shlex.split(engine_command())
    assert argv == [sys.executable, "-m", "flows.orchestration.flow_run_main"]
    assert job_variables({})["command"] == engine_command()


def test_the_flow_run_command_is_prefects_engine_from_any_directory(tmp_path: Path) -> None:
    """Started as the worker starts it (its own working directory, no flow run id given), the
    command reaches Prefect's engine, which refuses the missing id with its own error and exit 1."""
    out = subprocess.run(shlex.split(engine_command()), check=False, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={k: v for k, v in os.environ.items() if k != "PREFECT__FLOW_RUN_ID"})
    assert out.returncode == 1
    assert "Invalid flow run id" in out.stdout + out.stderr
    assert "RuntimeWarning" not in out.stderr  # runpy ran prefect.engine once, as __main__


def test_prefect_is_imported_with_the_collector_paused_and_the_engine_runs_with_it_on(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import gc
    import runpy

    from flows.orchestration import flow_run_main

    seen: list[tuple[str, str | None, bool, int]] = []
    monkeypatch.setattr(runpy, "run_module", lambda name, run_name=None, alter_sys=False: seen.append(
        (name, run_name, gc.isenabled(), gc.get_freeze_count())))
    try:
        flow_run_main.main()
    finally:
        gc.unfreeze()
    assert len(seen) == 1
    name, run_name, enabled, frozen = seen[0]
    assert (name, run_name, enabled) == ("prefect.engine", "__main__", True)
    assert frozen > 0


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


def test_the_generation_body_reads_the_catalog_without_pandas() -> None:
    """pandas serves tables to people (0.3 s of import); a flow run writing masklets never needs it."""
    probe = ("import json, sys; import flows.cycle.champion, flows.cycle.media, flows.cycle.workspace, "
             "storage.catalog.rounds, storage.catalog.generation, storage.catalog.model_aliases, "
             "storage.importers.gt_masklets; "
             "print(json.dumps('pandas' in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) is False


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
    """Stands in for Prefect's sync client: the ``gpu`` limit's active slots read after read, and
    lease requests answered 200 or 423."""

    def __init__(self, active: list[int], *, limit: int = 1, missing: bool = False,
                 refusals: int = 0) -> None:
        self.active, self.limit, self.missing, self.refusals = list(active), limit, missing, refusals
        self.reads = self.requests = 0

    def read_global_concurrency_limit_by_name(self, name: str) -> SimpleNamespace:
        from prefect.exceptions import ObjectNotFound

        assert name == slot.GPU_LIMIT
        self.reads += 1
        if self.missing:
            raise ObjectNotFound(http_exc=Exception("404"))
        value = self.active.pop(0) if len(self.active) > 1 else self.active[0]
        return SimpleNamespace(active=True, limit=self.limit, active_slots=value)

    def increment_concurrency_slots_with_lease(self, **kwargs: object) -> httpx.Response:
        assert kwargs["names"] == [slot.GPU_LIMIT] and kwargs["lease_duration"] == slot.LEASE_S
        self.requests += 1
        request = httpx.Request("POST", "http://prefect/api/v2/concurrency_limits/increment-with-lease")
        if self.refusals:
            self.refusals -= 1
            response = httpx.Response(423, request=request, headers={"Retry-After": "30"})
            raise httpx.HTTPStatusError("locked", request=request, response=response)
        limits = [] if self.missing else [{"id": str(uuid4()), "name": slot.GPU_LIMIT, "limit": self.limit}]
        return httpx.Response(200, request=request, json={"lease_id": str(LEASE), "limits": limits})


LEASE = uuid4()


def test_a_waiting_run_reads_the_limit_every_poll_until_a_slot_is_free() -> None:
    client = _Client([1, 1, 0])
    assert slot.acquire(client, occupy=1, timeout_s=None, poll_s=0.0) == LEASE
    assert (client.reads, client.requests) == (3, 1)


def test_a_run_that_loses_the_race_for_a_free_slot_goes_back_to_polling_not_to_retry_after() -> None:
    client = _Client([0], refusals=2)
    started = time.monotonic()
    assert slot.acquire(client, occupy=1, timeout_s=None, poll_s=0.01) == LEASE
    assert client.requests == 3 and time.monotonic() - started < 5  # never the server's 30 s Retry-After


class _Waiter:
    """Stands in for event_watch.EventWatch: every wait returns as if a release event arrived."""

    opened = 0

    def __init__(self, log: list[str]) -> None:
        self.log = log

    def __enter__(self) -> Self:
        _Waiter.opened += 1
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def clear(self) -> None:
        self.log.append("clear")

    def wait(self, timeout_s: float) -> bool:
        self.log.append("wait")
        return True


def test_a_waiting_run_reads_the_limit_again_when_a_release_event_wakes_it() -> None:
    log: list[str] = []
    client = _Client([1, 1, 0])
    _Waiter.opened = 0
    lease = slot.acquire(client, occupy=1, timeout_s=None, poll_s=3600.0, waiter=lambda: _Waiter(log))
    assert lease == LEASE and client.reads == 3 and _Waiter.opened == 1
    assert log == ["clear", "wait", "clear"]  # cleared before every read, so no release is missed


def test_a_free_slot_is_taken_without_opening_the_event_stream() -> None:
    _Waiter.opened = 0
    assert slot.acquire(_Client([0]), occupy=1, timeout_s=None, poll_s=3600.0, waiter=lambda: _Waiter([])) == LEASE
    assert _Waiter.opened == 0


def test_waiting_for_a_slot_times_out() -> None:
    with pytest.raises(TimeoutError, match="gpu"):
        slot.acquire(_Client([1]), occupy=1, timeout_s=0.05, poll_s=0.02)


def test_no_gpu_limit_means_no_lease_and_no_wait() -> None:
    client = _Client([1], missing=True)
    assert slot.acquire(client, occupy=1, timeout_s=None, poll_s=0.0) is None
    assert (client.reads, client.requests) == (1, 1)


def test_without_a_server_the_slot_is_free_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.client import orchestration

    monkeypatch.setattr(slot, "_server_configured", lambda: False)
    monkeypatch.setattr(orchestration, "get_client", lambda **_: pytest.fail("no server: nothing to ask"))
    ran = []
    with slot.gpu_slot(timeout_s=0.0):
        ran.append(True)
    assert ran == [True]
