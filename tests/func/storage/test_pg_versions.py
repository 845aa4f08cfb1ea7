"""Dataset versions on PostgreSQL: a killed commit leaves nothing; concurrent commits lose nothing."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from storage.audit.query import audit_events
from storage.audit.verify import verify_audit
from storage.catalog.catalog import Catalog
from storage.catalog.masklets import add_revision
from storage.catalog.synthetic import MemoryBlobs, add_masklets, fake_sha, new_video
from storage.catalog.videos import register_video
from storage.records import blob_key
from storage.versions.commit import NothingToCommitError, commit_version
from storage.versions.members import list_versions, version_members

WHO = {"actor": "alice", "role": "data_manager"}

_DOOMED = """
import pathlib, sys, time
from sqlalchemy import event
from sqlmodel import Session
from storage.catalog.catalog import Catalog
from storage.catalog.synthetic import MemoryBlobs
from storage.versions.commit import commit_version
url, flag, where = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
def hang(*_args):
    flag.write_text(where)
    time.sleep(600)
blobs = MemoryBlobs()
def writer(data):
    if where == "manifest":
        hang()
    return blobs(data)
if where == "before_commit":
    event.listen(Session, "before_commit", hang)
commit_version(Catalog.open(url), "d", message="doomed", actor="k", role="admin", manifest_writer=writer)
"""


@pytest.fixture()
def pg_catalog(pg_url):
    cat = Catalog.open(pg_url, auto_upgrade=True)
    yield cat
    cat.close()


@pytest.mark.parametrize("where", ["manifest", "before_commit"])
def test_a_commit_killed_midway_leaves_no_partial_version(pg_catalog: Catalog, pg_url, tmp_path, where) -> None:
    video = register_video(pg_catalog, new_video("d", "v"), **WHO)
    ids = add_masklets(pg_catalog, video.id, 5, status="accepted", **WHO)
    flag = tmp_path / "flag"
    proc = subprocess.Popen([sys.executable, "-c", _DOOMED, pg_url, str(flag), where])
    try:
        deadline = time.monotonic() + 60
        while not flag.exists():
            assert proc.poll() is None, "the committing process died early"
            assert time.monotonic() < deadline, "the commit never reached the kill point"
            time.sleep(0.05)
        proc.kill()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert list_versions(pg_catalog, "d").empty
    assert audit_events(pg_catalog, action="version.commit").empty
    assert verify_audit(pg_catalog).ok
    ref = commit_version(pg_catalog, "d", message="after the crash", manifest_writer=MemoryBlobs(), **WHO)
    assert ref.number == 1
    assert version_members(pg_catalog, "d@1")["masklet_id"].tolist() == ids


def test_eight_concurrent_commits_number_consecutively_and_lose_nothing(pg_catalog: Catalog, pg_url) -> None:
    video = register_video(pg_catalog, new_video("d", "v"), **WHO)
    barrier = threading.Barrier(8)
    made: list[int] = []
    added: list[int] = []
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            with Catalog.open(pg_url) as cat:
                added.extend(add_masklets(cat, video.id, 3, status="accepted", tag=f"w{i}", **WHO))
                barrier.wait(timeout=60)
                try:
                    made.append(commit_version(cat, "d", message=f"c{i}", manifest_writer=MemoryBlobs(), **WHO).number)
                except NothingToCommitError:
                    pass
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert made and sorted(made) == list(range(1, len(made) + 1))
    versions = list_versions(pg_catalog, "d")
    assert versions["number"].tolist() == sorted(made)
    assert versions["n_added"].sum() == 24
    assert sorted(version_members(pg_catalog, f"d@{max(made)}")["masklet_id"]) == sorted(added)


def _lock_waiters(url: str) -> int:
    """Sessions of this database waiting for a lock right now (pg_stat_activity)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND datname = current_database()").fetchone()
    return int(row[0])


def test_a_revision_racing_a_commit_is_picked_up_by_the_next_commit(pg_catalog: Catalog, pg_url) -> None:
    video = register_video(pg_catalog, new_video("d", "v"), **WHO)
    (mid,) = add_masklets(pg_catalog, video.id, 1, status="accepted", **WHO)
    inside, release = threading.Event(), threading.Event()
    blobs = MemoryBlobs()

    def slow_writer(data: bytes) -> tuple[str, str]:
        inside.set()
        release.wait(timeout=30)
        return blobs(data)

    committer = threading.Thread(target=lambda: commit_version(pg_catalog,
        "d", message="slow", manifest_writer=slow_writer, **WHO))
    committer.start()
    assert inside.wait(timeout=30)
    sha = fake_sha("racing")
    reviser = threading.Thread(target=lambda: add_revision(pg_catalog,
        mid, blob_key=blob_key(sha), blob_sha256=sha, frame_indices=(0,), scores=(1.0,), source="reviewer", **WHO))
    reviser.start()
    deadline = time.monotonic() + 30
    while _lock_waiters(pg_url) == 0:  # the reviser's session is blocked on the commit's row lock
        assert reviser.is_alive() and time.monotonic() < deadline, "the revision did not wait for the commit"
        time.sleep(0.05)
    assert reviser.is_alive(), "the masklet row is locked by the commit in progress"
    release.set()
    committer.join(timeout=30)
    reviser.join(timeout=30)
    assert version_members(pg_catalog, "d@1")["revision"].tolist() == [1]
    commit_version(pg_catalog, "d", message="next", manifest_writer=blobs, **WHO)
    assert version_members(pg_catalog, "d@2")["revision"].tolist() == [2]
