"""state.json / secrets.json handling, service closure and the process helper (no services)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import psutil
import pytest

from flows.errors import ConflictError
from flows.stack import process
from flows.stack.ports import pick_ports, port_free
from flows.stack.records import ALL_SERVICES, Command, ProcessRecord, StackConfig, close_services
from flows.stack.s3 import weed_ports
from flows.stack.state import SECRETS_FILENAME, StackState, load_or_create_secrets


def test_state_round_trip_and_mode(tmp_path: Path) -> None:
    state = StackState(tmp_path)
    assert state.config() is None and state.records() == {}
    config = StackConfig(dir=tmp_path, postgres_port=1234, services=("postgres", "s3"))
    rec = ProcessRecord(
        service="postgres", pid=42, create_time=123.5, log=tmp_path / "pg.log", argv=("pg", "-D")
    )
    state.save(config=config, records={"postgres": rec})
    assert state.config() == config
    assert state.records() == {"postgres": rec}
    assert state.path.stat().st_mode & 0o777 == 0o600


def test_corrupt_state_is_a_conflict(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(ConflictError, match="delete it"):
        StackState(tmp_path).records()


def test_secrets_generated_once_and_private(tmp_path: Path) -> None:
    first = load_or_create_secrets(tmp_path)
    assert (tmp_path / SECRETS_FILENAME).stat().st_mode & 0o777 == 0o600
    assert load_or_create_secrets(tmp_path) == first
    other = load_or_create_secrets(tmp_path / "other")
    assert (
        other.postgres_password != first.postgres_password
        and other.s3_secret_key != first.s3_secret_key
    )
    assert len(first.label_studio_token) == 40 and first.s3_access_key.isalnum()


def test_close_services_adds_dependencies_in_order() -> None:
    assert close_services(["mlflow"]) == ("postgres", "s3", "mlflow")
    assert close_services(["worker-cpu"]) == ("postgres", "prefect", "worker-cpu")
    assert close_services(["webhook-receiver"]) == ("postgres", "prefect", "webhook-receiver")
    assert close_services(list(ALL_SERVICES)) == ALL_SERVICES
    with pytest.raises(ValueError, match="unknown stack service"):
        close_services(["redis"])


def test_weed_ports_are_distinct_and_bounded() -> None:
    ports = weed_ports(8333)
    assert (
        ports["s3"] == 8333 and ports["s3.grpc"] == 18333 and len(set(ports.values())) == len(ports)
    )
    with pytest.raises(ValueError):
        weed_ports(60000)


def test_pick_ports_are_free_and_distinct() -> None:
    ports = pick_ports()
    block = set(weed_ports(ports["s3_port"]).values())
    others = [
        ports[k] for k in ("postgres_port", "label_studio_port", "mlflow_port", "prefect_port")
    ]
    assert len(set(others)) == 4 and not block & set(others)
    assert all(port_free("127.0.0.1", p) for p in [*block, *others])


def _sleeper_with_child(tmp_path: Path) -> ProcessRecord:
    script = "import subprocess, time; subprocess.Popen(['sleep', '60']); time.sleep(60)"
    return process.spawn(
        service="sleeper",
        command=Command(argv=(sys.executable, "-c", script)),
        log=tmp_path / "logs" / "sleeper.log",
    )


def test_spawn_records_own_session_and_stop_kills_the_family(tmp_path: Path) -> None:
    rec = _sleeper_with_child(tmp_path)
    assert process.wait_until(lambda: len(process.family(rec)) == 2, timeout_s=10)
    assert os.getsid(rec.pid) == rec.pid and os.getpgid(rec.pid) == rec.pid
    pids = [p.pid for p in process.family(rec)]
    assert process.stop(rec, sig=signal.SIGTERM, timeout_s=5) == []
    assert not process.is_alive(rec)
    assert not [
        p
        for p in pids
        if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
    ]


def test_stop_escalates_to_kill_when_term_is_ignored(tmp_path: Path) -> None:
    script = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"
    log = tmp_path / "stubborn.log"
    rec = process.spawn(
        service="stubborn", command=Command(argv=(sys.executable, "-c", script)), log=log
    )
    assert process.wait_until(lambda: "ready" in log.read_text(), timeout_s=10)
    assert process.stop(rec, timeout_s=0.5) == []
    assert not process.is_alive(rec)


def test_recycled_pid_is_not_ours(tmp_path: Path) -> None:
    me = psutil.Process()
    stranger = ProcessRecord(
        service="x", pid=me.pid, create_time=me.create_time() - 100.0, log=tmp_path / "x"
    )
    assert not process.is_alive(stranger)
    assert process.stop(stranger) == []  # never signals a process that is not ours
    assert process.is_alive(
        ProcessRecord(service="x", pid=me.pid, create_time=me.create_time(), log=tmp_path)
    )


def test_wait_until_and_log_tail(tmp_path: Path) -> None:
    assert not process.wait_until(lambda: False, timeout_s=0.2, interval_s=0.05)
    assert process.wait_until(lambda: True, timeout_s=5)
    assert not process.wait_until(lambda: False, timeout_s=30, alive=lambda: False)
    log = tmp_path / "l.log"
    log.write_text("a\n\nb\nc\n")
    assert process.log_tail(log, lines=2) == ["b", "c"]
    assert process.log_tail(tmp_path / "missing.log") == []


def test_orphans_of_an_exited_leader_are_still_stopped(tmp_path: Path) -> None:
    script = "import subprocess, os; subprocess.Popen(['sleep', '60']); os._exit(0)"
    rec = process.spawn(
        service="leader",
        command=Command(argv=(sys.executable, "-c", script)),
        log=tmp_path / "leader.log",
    )
    assert process.wait_until(lambda: not process.is_alive(rec), timeout_s=10)
    orphans = process.family(rec)
    assert [p.name() for p in orphans] == ["sleep"]
    assert process.stop(rec, timeout_s=5) == []
    assert process.family(rec) == []
