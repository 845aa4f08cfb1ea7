"""`maskloop api serve` as a real process on 127.0.0.1, configured like production: the catalog on
PostgreSQL, reads through MASKLOOP_AUDITOR_DATABASE_URL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

REPO_ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_on_loopback_as_the_auditor_role(pg_world, tmp_path) -> None:
    from storage.audit.query import audit_events
    from storage.audit.verify import verify_audit
    port = _free_port()
    env = {**os.environ, "MASKLOOP_DATABASE_URL": pg_world.settings.database_url,
           "MASKLOOP_AUDITOR_DATABASE_URL": pg_world.auditor_url}
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        process = subprocess.Popen([sys.executable, "-m", "flows.cli", "--home", str(tmp_path), "api", "serve",
                                    "--port", str(port)], cwd=REPO_ROOT, env=env, stdout=sink, stderr=sink)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                assert process.poll() is None, log.read_text()
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {pg_world.tokens['auditor']}"}
        response = httpx.get(f"{base}/v1/datasets/demo/versions?format=csv", headers=headers, timeout=10)
        assert response.status_code == 200 and response.text.startswith("number,parent_number")
        assert httpx.get(f"{base}/v1/audit/verify", timeout=10).status_code == 401
        assert "server" not in response.headers
    finally:
        process.terminate()
        process.wait(timeout=30)
    text = log.read_text()
    assert "SELECT-only auditor role" in text and "maskloop_auditor" in text
    assert make_url(pg_world.auditor_url).password not in text  # the password is never printed
    assert pg_world.tokens["auditor"] not in text
    events = audit_events(pg_world.owner, action="api.request", limit=None)
    assert {"/v1/datasets/demo/versions", "/v1/audit/verify"} <= {e.split('"path":"')[1].split('"')[0]
                                                                 for e in events["details"]}
    assert verify_audit(pg_world.owner).ok
