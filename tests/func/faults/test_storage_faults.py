"""Faults survived by the catalog and the object store, on the real local stack (each run 3x):

- PostgreSQL stopped in the middle of a dataset commit: no partial version, the retry succeeds
  (through the catalog functions, and through `maskloop dataset commit`: exit 5, one line -- also
  with the S3 server stopped while the manifest is written);
- the S3 server stopped during ingest: one clear error line, exit 5, nothing half-registered, the
  retry completes;
- 8 concurrent commits on one dataset: distinct consecutive versions, no lost change;
- an audit row edited, deleted or reordered directly in the database: ``maskloop audit verify``
  (the CLI, as a subprocess) names it.

Run: MASKLOOP_TEST_SERVICES=postgres,s3 pytest tests/func/faults
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from helpers.videos import write_numbered_video

from storage.audit.query import audit_events
from storage.audit.verify import verify_audit
from storage.catalog.catalog import Catalog
from storage.catalog.synthetic import MemoryBlobs, add_masklets, build_scenario, new_video
from storage.catalog.videos import list_videos, register_video
from storage.errors import UnavailableError
from storage.objects.s3_store import S3Store
from storage.versions.commit import NothingToCommitError, commit_version
from storage.versions.members import get_version, list_versions, version_members

WHO = {"actor": "faults", "role": "data_manager"}
REPEATS = [pytest.param(i, id=f"run{i + 1}") for i in range(3)]


def _s3(stack) -> S3Store:  # type: ignore[no-untyped-def]
    return S3Store(stack.s3_endpoint, access_key=stack.s3_access_key, secret_key=stack.s3_secret_key,
                   bucket=stack.s3_bucket, region=stack.s3_region, object_lock_bucket=stack.s3_worm_bucket)


def _counts(catalog: Catalog) -> dict[str, int]:
    names = sa.inspect(catalog.engine).get_table_names()
    with catalog.engine.connect() as conn:
        return {t: int(conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one()) for t in sorted(names)}


# ------------------------------------------------------------------------------ PostgreSQL mid-commit
@pytest.mark.parametrize("repeat", REPEATS)
def test_postgres_stopped_mid_commit_leaves_no_partial_version(pg_url, services, repeat) -> None:  # type: ignore[no-untyped-def]
    with Catalog.open(pg_url, auto_upgrade=True) as catalog:
        video = register_video(catalog, new_video("d", f"v{repeat}"), **WHO)
        ids = add_masklets(catalog, video.id, 4, status="accepted", **WHO)
        before = _counts(catalog)
        blobs = MemoryBlobs()

        def writer(data: bytes) -> tuple[str, str]:  # runs inside the commit's transaction
            services.stop("postgres")
            return blobs(data)

        try:
            with pytest.raises(UnavailableError, match="the catalog database is unavailable|failed"):
                commit_version(catalog, "d", message="doomed", manifest_writer=writer, **WHO)
        finally:
            services.restore()
    with Catalog.open(pg_url) as catalog:
        assert _counts(catalog) == before  # no version, no change rows, no split rows, no audit event
        assert list_versions(catalog, "d").empty
        assert audit_events(catalog, action="version.commit").empty
        assert verify_audit(catalog).ok
        ref = commit_version(catalog, "d", message="after the outage", manifest_writer=blobs, **WHO)
        assert ref.number == 1
        assert sorted(version_members(catalog, "d@1")["masklet_id"]) == ids
        assert verify_audit(catalog).ok


@pytest.mark.parametrize("repeat", REPEATS)
@pytest.mark.parametrize("down", ["postgres", "s3"])
def test_a_service_stopped_during_cli_commit_is_exit_5_and_the_retry_commits(
        stack, pg_url, services, tmp_path, monkeypatch, capsys, down, repeat) -> None:  # type: ignore[no-untyped-def]
    """`maskloop dataset commit` while PostgreSQL (after the manifest is written) or the S3 server
    (while the manifest is written) goes away: one error line, exit 5, no version; the retry commits."""
    from flows.cli.main import main

    for key, value in _cli_env(stack, pg_url, tmp_path / "home").items():
        if key.startswith("MASKLOOP_"):
            monkeypatch.setenv(key, value)
    with Catalog.open(pg_url, auto_upgrade=True) as catalog:
        video = register_video(catalog, new_video("d", f"cli{repeat}"), **WHO)
        ids = add_masklets(catalog, video.id, 3, status="accepted", tag=secrets.token_hex(4), **WHO)
        before = _counts(catalog)
    real_put_blob = S3Store.put_blob

    def put_blob_during_outage(self, data, **kwargs):  # type: ignore[no-untyped-def]
        services.stop(down)
        return real_put_blob(self, data, **kwargs)

    monkeypatch.setattr(S3Store, "put_blob", put_blob_during_outage)
    try:
        capsys.readouterr()
        code = main(["dataset", "commit", "d", "-m", "during an outage"])
        out, err = capsys.readouterr()
    finally:
        services.restore()
    assert code == 5, out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in out + err
    assert ("catalog database" if down == "postgres" else "S3 server") in lines[0]
    monkeypatch.setattr(S3Store, "put_blob", real_put_blob)
    with Catalog.open(pg_url) as catalog:
        assert _counts(catalog) == before and list_versions(catalog, "d").empty and verify_audit(catalog).ok
    capsys.readouterr()
    assert main(["dataset", "commit", "d", "-m", "after the outage"]) == 0
    assert "committed d@1: +3 added" in capsys.readouterr().out
    with Catalog.open(pg_url) as catalog:
        assert sorted(version_members(catalog, "d@1")["masklet_id"]) == ids
        ref = get_version(catalog, "d@1")
    assert _s3(stack).exists(ref.manifest_key)


# ------------------------------------------------------------------------------ S3 during ingest
def _cli_env(stack, pg_url: str, home: Path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASKLOOP_")}
    env.update(stack.env)
    env.update({"MASKLOOP_DATABASE_URL": pg_url, "MASKLOOP_HOME": str(home), "MASKLOOP_STACK_DIR": str(home / "none"),
                "MASKLOOP_ACTOR": "faults", "MASKLOOP_ROLE": "data_manager"})
    return env


@pytest.mark.parametrize("repeat", REPEATS)
def test_s3_stopped_during_ingest_is_one_clear_error_and_the_retry_completes(
        stack, pg_url, services, tmp_path, monkeypatch, capsys, repeat) -> None:  # type: ignore[no-untyped-def]
    import storage.media.ingest as media_ingest
    from flows.cli.main import main

    for key, value in _cli_env(stack, pg_url, tmp_path / "home").items():
        if key.startswith("MASKLOOP_"):
            monkeypatch.setenv(key, value)
    with Catalog.open(pg_url, auto_upgrade=True):
        pass
    # unique bytes per run (a random tag), so the frames are not in the bucket from an earlier run
    video = write_numbered_video(tmp_path / "clip.mp4", n_frames=24, fps=12,
                                 metadata={"comment": secrets.token_hex(8)})
    encoded = [0]
    real_encode = media_ingest.encode_jpeg

    def encode_then_fail(image, quality):  # type: ignore[no-untyped-def]
        encoded[0] += 1
        if encoded[0] == 4:  # a few frames are written, then the S3 server goes away
            services.stop("s3")
        return real_encode(image, quality)

    monkeypatch.setattr(media_ingest, "encode_jpeg", encode_then_fail)
    try:
        capsys.readouterr()
        code = main(["ingest", str(video), "--dataset", "faults", "--fps", "12"])
        out, err = capsys.readouterr()
    finally:
        services.restore()
    assert code == 5, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "S3 server" in lines[0], err
    assert "Traceback" not in out + err and "ingested" not in out
    with Catalog.open(pg_url) as catalog:  # nothing half-registered
        counts = _counts(catalog)
        assert counts["video"] == 0 and counts["dataset"] == 0 and counts["masklet"] == 0
        assert verify_audit(catalog).ok
    monkeypatch.setattr(media_ingest, "encode_jpeg", real_encode)
    capsys.readouterr()
    assert main(["ingest", str(video), "--dataset", "faults", "--fps", "12"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "ingested: clip.mp4 -> video 1, 24 frames" in out
    with Catalog.open(pg_url) as catalog:
        (ref,) = list_videos(catalog, "faults")
        assert verify_audit(catalog).ok
    keys = list(_s3(stack).list_keys(f"videos/{ref.sha256}/frames/"))
    assert keys == [ref.frame_key(k) for k in range(24)]


# ------------------------------------------------------------------------------ 8 concurrent commits
@pytest.mark.parametrize("repeat", REPEATS)
def test_eight_concurrent_commits_give_consecutive_versions_and_lose_nothing(stack, pg_url, repeat) -> None:  # type: ignore[no-untyped-def]
    store = _s3(stack)
    with Catalog.open(pg_url, auto_upgrade=True) as catalog:
        video = register_video(catalog, new_video("d", f"c{repeat}"), **WHO)
        seeded = add_masklets(catalog, video.id, 2, status="accepted", tag="seed", **WHO)
        assert commit_version(catalog, "d", message="v1 exists already", manifest_writer=MemoryBlobs(), **WHO).number == 1
    barrier = threading.Barrier(8)
    added: list[int] = []
    made: list[int] = []
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            with Catalog.open(pg_url) as cat:
                added.extend(add_masklets(cat, video.id, 2 + i % 3, status="accepted", tag=f"r{repeat}w{i}", **WHO))
                barrier.wait(timeout=120)
                try:
                    ref = commit_version(cat, "d", message=f"worker {i}", **WHO,
                                         manifest_writer=lambda data: store.put_blob(data))
                    made.append(ref.number)
                except NothingToCommitError:
                    pass  # another worker's version took this worker's change: checked below
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == [] and not any(t.is_alive() for t in threads)
    assert len(made) == len(set(made)) and sorted(made) == list(range(2, 2 + len(made)))
    with Catalog.open(pg_url) as catalog:
        versions = list_versions(catalog, "d")
        assert versions["number"].tolist() == list(range(1, 2 + len(made)))
        assert int(versions["n_added"].sum()) == len(seeded) + len(added)
        last = int(versions["number"].max())
        assert sorted(version_members(catalog, f"d@{last}")["masklet_id"]) == sorted(seeded + added)
        # every version extends its parent, and its manifest is in the object store, intact
        for row in versions.itertuples():
            if row.number > 1:
                parent = versions[versions["number"] == row.number - 1].iloc[0]
                assert row.n_members == parent.n_members + row.n_added - row.n_removed
                ref = get_version(catalog, f"d@{row.number}")
                header = json.loads(store.get_bytes(ref.manifest_key).splitlines()[0])
                assert header["number"] == row.number and header["parent_number"] == row.number - 1
        assert audit_events(catalog, action="version.commit").shape[0] == last
        assert verify_audit(catalog).ok


# ------------------------------------------------------------------------------ audit tampering
TAMPER = {
    "edited": ("UPDATE audit_event SET details = '{\"verdict\":\"satisfactory\"}' WHERE id = 12",),
    "deleted": ("DELETE FROM audit_event WHERE id = 20",),
    "reordered": ("UPDATE audit_event SET id = -1 WHERE id = 10", "UPDATE audit_event SET id = 10 WHERE id = 11",
                  "UPDATE audit_event SET id = 11 WHERE id = -1"),
}
BROKEN_AT = {"edited": 12, "deleted": 21, "reordered": 10}


@pytest.mark.parametrize("repeat", REPEATS)
@pytest.mark.parametrize("kind", sorted(TAMPER))
def test_audit_verify_cli_names_a_tampered_row(stack, pg_url, tmp_path, kind, repeat) -> None:  # type: ignore[no-untyped-def]
    with Catalog.open(pg_url, auto_upgrade=True) as catalog:
        build_scenario(catalog)
        with catalog.engine.begin() as conn:  # as the superuser, triggers bypassed
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for statement in TAMPER[kind]:
                conn.execute(sa.text(statement))
    maskloop = Path(sys.executable).with_name("maskloop")
    proc = subprocess.run([str(maskloop), "audit", "verify"], check=False, env=_cli_env(stack, pg_url, tmp_path / "home"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert lines[0].startswith(f"audit trail BROKEN at event {BROKEN_AT[kind]}:")
    if kind == "edited":
        assert "edited" in lines[0]
