"""The local service stack on the session ``stack``: status, loopback-only sockets, idempotent up,
down leaving nothing behind, up again, Label Studio token, S3 buckets with WORM, MLflow, Prefect pools,
the webhook receiver (health, secret check).

The restart test runs last in this file and leaves the stack up for later tests.
"""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import psutil
import pytest

from flows.cli.main import main
from flows.stack import process
from flows.stack.env_file import env_path, read_env_file
from flows.stack.manager import StackManager
from flows.stack.records import MLFLOW_BUCKET, WORK_POOLS
from flows.stack.state import StackState

LOOPBACK = {"127.0.0.1", "::1"}
PORT_SERVICES = {"postgres", "s3", "label-studio", "mlflow", "prefect", "webhook-receiver"}


def _manager(stack) -> StackManager:  # type: ignore[no-untyped-def]
    config = StackState(stack.dir).config()
    assert config is not None
    return StackManager(config)


def _our_processes(stack) -> list[psutil.Process]:  # type: ignore[no-untyped-def]
    procs: list[psutil.Process] = []
    for rec in StackState(stack.dir).records().values():
        procs.extend(process.family(rec))
    return procs


def _cmdline_mentions(needle: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if needle in cmd and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(proc)
    return found


def test_status_shows_every_service_up(stack, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["stack", "status", "--dir", str(stack.dir)])
    out = capsys.readouterr().out
    assert code == 0, out
    for service in stack.services:
        line = next(ln for ln in out.splitlines() if f" {service} " in ln)
        assert " up " in line and "down" not in line, line
    assert "postgres" in stack.services and "s3" in stack.services


def test_every_listen_socket_is_loopback(stack) -> None:  # type: ignore[no-untyped-def]
    listening: dict[str, list[tuple[str, int]]] = {}
    for name, rec in StackState(stack.dir).records().items():
        for proc in process.family(rec):
            for conn in proc.net_connections(kind="inet"):
                if conn.status == psutil.CONN_LISTEN:
                    listening.setdefault(name, []).append((conn.laddr.ip, conn.laddr.port))
    assert PORT_SERVICES & set(stack.services) <= set(listening)
    for name, addrs in listening.items():
        for ip, port in addrs:
            assert ip in LOOPBACK, f"{name} listens on {ip}:{port}"


def test_env_file_matches_stack(stack) -> None:  # type: ignore[no-untyped-def]
    path = env_path(stack.dir)
    assert path.stat().st_mode & 0o777 == 0o600
    env = read_env_file(stack.dir)
    assert env == stack.env
    assert env["MASKLOOP_DATABASE_URL"] == stack.database_url
    assert env["MASKLOOP_S3_ENDPOINT"] == stack.s3_endpoint
    assert env["AWS_ACCESS_KEY_ID"] == stack.s3_access_key
    if stack.mlflow_tracking_uri:
        assert (
            env["MLFLOW_TRACKING_URI"]
            == env["MASKLOOP_MLFLOW_TRACKING_URI"]
            == stack.mlflow_tracking_uri
        )
    if stack.prefect_api_url:
        assert env["PREFECT_API_URL"] == env["MASKLOOP_PREFECT_API_URL"] == stack.prefect_api_url
    assert env["MASKLOOP_WEBHOOK_SECRET"] == stack.webhook_secret
    if "webhook-receiver" in stack.services:
        assert env["MASKLOOP_WEBHOOK_URL"] == stack.webhook_url
        assert stack.webhook_url.startswith(f"http://{stack.host}:") and stack.webhook_url.endswith(
            "/webhooks/label-studio")


def test_status_output_has_no_secret(stack, capsys) -> None:  # type: ignore[no-untyped-def]
    main(["stack", "status", "--dir", str(stack.dir)])
    out = capsys.readouterr()
    secrets = [stack.postgres_password, stack.s3_secret_key, stack.label_studio_token, stack.webhook_secret]
    for secret in (s for s in secrets if s):
        assert secret not in out.out and secret not in out.err
    if "label-studio" in stack.services:  # where to log in, and where the password is, not the password
        from flows.stack.state import load_or_create_secrets

        hint = next(ln for ln in out.out.splitlines() if ln.startswith("Label Studio: log in at"))
        assert "admin@maskloop.local" in hint and str(stack.dir / "secrets.json") in hint
        assert load_or_create_secrets(stack.dir).label_studio_password not in out.out
    for proc in _our_processes(stack):
        cmd = " ".join(proc.cmdline())
        for secret in (s for s in secrets if s):
            assert secret not in cmd, f"secret on the command line of pid {proc.pid}"


def test_s3_buckets_exist_and_worm_rejects_deleting_a_locked_version(stack, s3_client) -> None:  # type: ignore[no-untyped-def]
    from minio.commonconfig import COMPLIANCE
    from minio.error import S3Error
    from minio.retention import Retention

    for bucket in (stack.s3_bucket, stack.s3_worm_bucket, MLFLOW_BUCKET):
        assert s3_client.bucket_exists(bucket), bucket
    key = f"worm-test/{uuid.uuid4().hex}"
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    put = s3_client.put_object(
        stack.s3_worm_bucket, key, io.BytesIO(b"locked"), 6, retention=Retention(COMPLIANCE, until)
    )
    assert put.version_id
    with pytest.raises(S3Error) as err:
        s3_client.remove_object(stack.s3_worm_bucket, key, version_id=put.version_id)
    assert err.value.code == "AccessDenied"
    assert (
        s3_client.get_object(stack.s3_worm_bucket, key, version_id=put.version_id).read()
        == b"locked"
    )


def test_label_studio_sdk_works_with_the_token(stack, label_studio_client) -> None:  # type: ignore[no-untyped-def]
    if "label-studio" not in stack.services:
        pytest.fail("needs label-studio in MASKLOOP_TEST_SERVICES")
    title = f"stack-test-{uuid.uuid4().hex[:8]}"
    project = label_studio_client.projects.create(title=title)
    try:
        titles = [p.title for p in label_studio_client.projects.list()]
        assert title in titles
    finally:
        label_studio_client.projects.delete(id=project.id)


def test_mlflow_logs_artifacts_to_s3(stack, s3_client) -> None:  # type: ignore[no-untyped-def]
    if "mlflow" not in stack.services:
        pytest.fail("needs mlflow in MASKLOOP_TEST_SERVICES")
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=stack.mlflow_tracking_uri)
    exp = client.create_experiment(f"stack-test-{uuid.uuid4().hex[:8]}")
    run = client.create_run(exp)
    client.log_text(run.info.run_id, "hello", "note.txt")
    client.set_terminated(run.info.run_id)
    keys = [
        o.object_name
        for o in s3_client.list_objects(MLFLOW_BUCKET, prefix=f"artifacts/{exp}/", recursive=True)
    ]
    assert any(k.endswith(f"{run.info.run_id}/artifacts/note.txt") for k in keys), keys


def test_prefect_has_process_pools(stack) -> None:  # type: ignore[no-untyped-def]
    if "prefect" not in stack.services:
        pytest.fail("needs prefect in MASKLOOP_TEST_SERVICES")
    assert httpx.get(f"{stack.prefect_api_url}/health", timeout=10).json() is True
    for pool in WORK_POOLS:
        resp = httpx.get(f"{stack.prefect_api_url}/work_pools/{pool}", timeout=10)
        assert resp.status_code == 200 and resp.json()["type"] == "process"


def test_webhook_receiver_answers_and_checks_the_secret(stack) -> None:  # type: ignore[no-untyped-def]
    if "webhook-receiver" not in stack.services:
        pytest.fail("needs webhook-receiver in MASKLOOP_TEST_SERVICES")
    base = stack.webhook_url.rsplit("/webhooks/", 1)[0]
    assert httpx.get(f"{base}/healthz", timeout=10).json() == {"status": "ok"}
    body = {"action": "ANNOTATION_CREATED", "project": {"id": 1}, "task": {"id": 2}, "annotation": {"id": 3}}
    wrong = httpx.post(stack.webhook_url, json=body, headers={"X-Maskloop-Webhook-Secret": "nope"}, timeout=10)
    assert wrong.status_code == 401
    ignored = httpx.post(stack.webhook_url, json={"action": "PROJECT_UPDATED", "project": {"id": 1}},
                         headers={"X-Maskloop-Webhook-Secret": stack.webhook_secret}, timeout=10)
    assert ignored.status_code == 200 and ignored.json() == {"status": "ignored"}


def test_up_again_reuses_then_down_leaves_nothing_then_up_works(stack) -> None:  # type: ignore[no-untyped-def]
    manager = _manager(stack)
    before = {n: (r.pid, r.create_time) for n, r in manager.state.records().items()}
    assert set(before) == set(stack.services)

    info = manager.up()
    after = {n: (r.pid, r.create_time) for n, r in manager.state.records().items()}
    assert after == before
    assert info.env == stack.env

    records = manager.state.records()
    family_pids = {p.pid for rec in records.values() for p in process.family(rec)}
    stopped = manager.down()
    assert set(stopped) == set(stack.services)
    assert not env_path(stack.dir).exists()
    assert manager.state.records() == {}
    assert not any(process.is_alive(r) for r in records.values())
    assert not [
        pid
        for pid in family_pids
        if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    ]
    assert _cmdline_mentions(str(stack.dir)) == []
    assert all(not row.up for row in manager.status())

    again = manager.up()
    assert again.env == stack.env
    assert all(row.up for row in manager.status())
    new = manager.state.records()
    assert all(new[n].pid != before[n][0] for n in stack.services)
