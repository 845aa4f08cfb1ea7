"""Start and stop stack processes: own session per process, pid + create time, TERM then KILL.

A process is "ours" only while its pid still has the create time we recorded, so a recycled pid
is never signalled. Stopping signals the whole process group and every descendant found at the
time (some servers re-parent helpers), then escalates to SIGKILL after ``timeout_s`` seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import psutil

from flows.stack.records import Command, ProcessRecord

_CREATE_TIME_TOLERANCE_S = 0.05


def spawn(*, service: str, command: Command, log: Path) -> ProcessRecord:
    """Launch ``command`` in its own session, stdout+stderr appended to ``log``; returns its record."""
    log.parent.mkdir(parents=True, exist_ok=True)
    env = _environment(command)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            list(command.argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=str(command.cwd) if command.cwd else None,
            start_new_session=True,
            user=command.user,
            group=command.user,
            extra_groups=[] if command.user else None,
            close_fds=True,
        )
    create_time = psutil.Process(proc.pid).create_time()
    return ProcessRecord(
        service=service, pid=proc.pid, create_time=create_time, log=log, argv=command.argv
    )


def run_once(*, command: Command, log: Path, timeout_s: float = 600.0) -> None:
    """Run a one-shot command (e.g. initdb) to completion; output appended to ``log``.

    Raises subprocess.CalledProcessError on a non-zero exit.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    env = _environment(command)
    with open(log, "ab") as out:
        subprocess.run(
            list(command.argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=str(command.cwd) if command.cwd else None,
            user=command.user,
            group=command.user,
            extra_groups=[] if command.user else None,
            check=True,
            timeout=timeout_s,
        )


def process_of(record: ProcessRecord) -> psutil.Process | None:
    """The live process ``record`` describes, or None (gone, zombie, or pid recycled)."""
    try:
        proc = psutil.Process(record.pid)
        if abs(proc.create_time() - record.create_time) > _CREATE_TIME_TOLERANCE_S:
            return None
        if proc.status() == psutil.STATUS_ZOMBIE:
            _reap(record.pid)
            return None
        return proc
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def is_alive(record: ProcessRecord) -> bool:
    """True while the recorded process runs (same pid AND same create time)."""
    return process_of(record) is not None


def family(record: ProcessRecord) -> list[psutil.Process]:
    """The recorded process, its descendants and every member of its process group (alive now).

    When the recorded process has exited, its surviving group members are still returned.
    """
    root = process_of(record)
    found: dict[int, psutil.Process] = {}
    if root is None:
        if psutil.pid_exists(record.pid):
            return []  # the pid now belongs to someone else: its group is not ours
        # leader gone: the kernel does not reuse a pid while its process group lives, so any
        # member of group ``record.pid`` is an orphan of ours (e.g. a server's worker process)
    else:
        found[root.pid] = root
        try:
            for child in root.children(recursive=True):
                found[child.pid] = child
        except psutil.NoSuchProcess:
            pass
    for proc in psutil.process_iter():
        try:
            if proc.pid not in found and os.getpgid(proc.pid) == record.pid:
                found[proc.pid] = proc
        except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
            continue
    return [p for p in found.values() if _running(p)]


def stop(record: ProcessRecord, *, sig: int = signal.SIGTERM, timeout_s: float = 20.0) -> list[int]:
    """Stop the process of ``record`` and its family: ``sig``, wait ``timeout_s``, then SIGKILL.

    Returns the pids still alive afterwards (empty when everything is gone).
    """
    procs = family(record)
    if not procs:
        return []
    try:
        os.killpg(record.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
    _signal_all(procs, sig)
    alive = _wait_gone(procs, timeout_s)
    if alive:
        _signal_all(alive, signal.SIGKILL)
        alive = _wait_gone(alive, 5.0)
    return [p.pid for p in alive]


def wait_until(
    check: Callable[[], bool],
    *,
    timeout_s: float,
    interval_s: float = 0.5,
    alive: Callable[[], bool] | None = None,
) -> bool:
    """Poll ``check`` until it returns True or ``timeout_s`` passes (or ``alive`` turns False)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if _probe(check):
            return True
        if alive is not None and not alive():
            return False
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval_s)


def _probe(check: Callable[[], bool]) -> bool:
    try:
        return bool(check())
    except Exception:  # noqa: BLE001 - a health probe failing just means "not yet"
        return False


def log_tail(log: Path, *, lines: int = 5) -> list[str]:
    """Last ``lines`` non-empty lines of ``log`` (empty when it does not exist)."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [ln for ln in text.splitlines() if ln.strip()][-lines:]


def _environment(command: Command) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in command.unset}
    env.update(command.env)
    return env


def _signal_all(procs: Iterable[psutil.Process], sig: int) -> None:
    for proc in procs:
        try:
            proc.send_signal(sig)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue


def _wait_gone(procs: list[psutil.Process], timeout_s: float) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout_s
    alive = procs
    while alive:
        for proc in alive:
            _reap(proc.pid)
        alive = [p for p in alive if _running(p)]
        if not alive or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    return alive


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _reap(pid: int) -> None:
    """Collect the exit status of ``pid`` if it is our child, so it does not linger as a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except (ChildProcessError, OSError):
        pass
