"""The stack's state file (``<dir>/state.json``) and secrets file (``<dir>/secrets.json``).

state.json: ``{"config": StackConfig.to_json(), "processes": {service: ProcessRecord}}``.
secrets.json: the generated :class:`StackSecrets`. Both are written atomically with mode 0600.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from flows.errors import ConflictError
from flows.stack.records import ProcessRecord, StackConfig, StackSecrets

STATE_FILENAME = "state.json"
SECRETS_FILENAME = "secrets.json"
LOCK_FILENAME = ".lock"


@contextmanager
def stack_lock(stack_dir: Path) -> Iterator[None]:
    """Exclusive lock on ``<stack_dir>/.lock`` so two ``up``/``down`` never interleave (blocks)."""
    stack_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(stack_dir / LOCK_FILENAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically with mode 0600 (readable by the owner only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConflictError(
            f"cannot read {path} ({exc}); delete it and run `maskloop stack up` again"
        ) from exc


class StackState:
    """Read-modify-write access to ``<dir>/state.json`` (config + one record per service)."""

    def __init__(self, stack_dir: Path) -> None:
        self.path = stack_dir / STATE_FILENAME

    def config(self) -> StackConfig | None:
        """The configuration recorded by the last ``up``, or None for a new directory."""
        data = _read_json(self.path).get("config")
        return StackConfig.from_json(data) if data else None

    def records(self) -> dict[str, ProcessRecord]:
        """Recorded processes by service name."""
        raw = _read_json(self.path).get("processes", {})
        return {
            name: ProcessRecord(
                service=name,
                pid=int(r["pid"]),
                create_time=float(r["create_time"]),
                log=Path(r["log"]),
                argv=tuple(r.get("argv", ())),
            )
            for name, r in raw.items()
        }

    def save(self, *, config: StackConfig, records: dict[str, ProcessRecord]) -> None:
        """Replace the file with ``config`` and ``records``."""
        payload = {
            "config": config.to_json(),
            "processes": {
                name: {
                    "pid": r.pid,
                    "create_time": r.create_time,
                    "log": str(r.log),
                    "argv": list(r.argv),
                }
                for name, r in records.items()
            },
        }
        write_private(self.path, json.dumps(payload, indent=2, sort_keys=True) + "\n")


def load_or_create_secrets(stack_dir: Path) -> StackSecrets:
    """The stack's secrets, generated (hex, URL-safe) on first use and kept in secrets.json."""
    path = stack_dir / SECRETS_FILENAME
    data = _read_json(path)
    if data:
        return StackSecrets(**data)
    created = StackSecrets(
        postgres_password=secrets.token_hex(16),
        s3_access_key="MK" + secrets.token_hex(9).upper(),
        s3_secret_key=secrets.token_hex(20),
        label_studio_password=secrets.token_hex(12),
        label_studio_token=secrets.token_hex(20),
        webhook_secret=secrets.token_hex(16),
    )
    write_private(path, json.dumps(asdict(created), indent=2) + "\n")
    return created
