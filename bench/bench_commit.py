"""Benchmark: committing the same 1,000-masklet change on catalogs of 10k and 1M masklets (PostgreSQL).

For each size a fresh database is bulk-loaded (storage.catalog.synthetic.bulk_fill: every masklet
accepted and already in version 1, 100 masklets per video), then the SAME change is made through
the catalog functions (400 new accepted masklets, 300 new revisions of members, 300 members rejected)
and ``commit_version`` is timed (writing the delta manifest to memory), after one untimed warm-up
commit of 10 masklets. Repeated ``--repeats``
times per size with a fresh change each time; the median is reported, in milliseconds.

Anchor: the commit time on the smallest catalog, measured in the same run; ratio = time on the
largest catalog / anchor (near 1 means commit cost grows with the change, not the dataset).
Database: MASKLOOP_DATABASE_URL's server (a database per size is created and dropped there) or a
private PostgreSQL 15 started in a temporary folder.

Run: nice -n 10 .venv/bin/python bench/bench_commit.py [--sizes 10000,1000000] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator

PG_BIN = "/usr/lib/postgresql/15/bin"
WHO = {"actor": "bench", "role": "admin"}


def _as_postgres(cmd: list[str]) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(prefix + cmd, check=True, stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Yields an admin URL (``.../postgres``): MASKLOOP_DATABASE_URL's server or a private one."""
    given = os.environ.get("MASKLOOP_DATABASE_URL")
    if given:
        from sqlalchemy.engine import make_url

        yield make_url(given).set(database="postgres").render_as_string(hide_password=False)
        return
    folder = tempfile.mkdtemp(prefix="maskloop-bench-pg-")
    os.chmod(folder, 0o755)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _as_postgres([f"{PG_BIN}/initdb", "-D", folder, "-U", "postgres", "-A", "trust", "--no-sync"])
    _as_postgres([f"{PG_BIN}/pg_ctl", "-D", folder, "-w", "-l", f"{folder}/log", "-o",
                  (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c shared_buffers=256MB -c max_wal_size=4GB"), "start"])
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        _as_postgres([f"{PG_BIN}/pg_ctl", "-D", folder, "-m", "fast", "stop"])
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def fresh_database(admin_url: str, name: str) -> Iterator[str]:
    """Create database ``name`` on the server of ``admin_url``; yield its URL; drop it afterwards."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def filled_catalog(url: str, masklets: int, *, dataset: str = "bench"):
    from storage.catalog.catalog import Catalog
    from storage.catalog.synthetic import bulk_fill

    catalog = Catalog.open(url, auto_upgrade=True)
    per_video = 100
    bulk_fill(catalog, dataset=dataset, n_videos=max(1, masklets // per_video), masklets_per_video=per_video, **WHO)
    return catalog


def make_change(catalog, *, first_masklet: int, n_videos: int, round_no: int) -> None:
    """The same 1,000-masklet change: 400 new accepted, 300 revised members, 300 rejected members."""
    from storage.catalog.masklets import add_revision, set_masklet_status
    from storage.catalog.synthetic import add_masklets, fake_sha
    from storage.records import blob_key

    for i in range(400):
        video_id = 1 + (i * 7919 + round_no) % n_videos
        add_masklets(catalog, video_id, 1, status="accepted", tag=f"r{round_no}/{i}", **WHO)
    base = first_masklet + round_no * 600
    for k in range(300):
        sha = fake_sha(f"rev/{round_no}/{k}")
        add_revision(catalog, base + k, blob_key=blob_key(sha), blob_sha256=sha, frame_indices=(0, 1), scores=(1, 1),
                     source="reviewer", **WHO)
    for k in range(300, 600):
        set_masklet_status(catalog, base + k, "rejected", **WHO)


def time_commits(url: str, masklets: int, repeats: int) -> list[float]:
    from storage.catalog.synthetic import MemoryBlobs, add_masklets
    from storage.versions.commit import commit_version
    from storage.versions.members import list_versions

    catalog = filled_catalog(url, masklets)
    try:
        n_videos = max(1, masklets // 100)
        add_masklets(catalog, 1, 10, status="accepted", tag="warm-up", **WHO)  # untimed: warms caches and plans
        commit_version(catalog, "bench", message="warm-up", manifest_writer=MemoryBlobs(), **WHO)
        times = []
        for r in range(repeats):
            make_change(catalog, first_masklet=1, n_videos=n_videos, round_no=r)
            t0 = time.perf_counter()
            ref = commit_version(catalog, "bench", message=f"change {r}", manifest_writer=MemoryBlobs(), **WHO)
            times.append((time.perf_counter() - t0) * 1000)
            info = list_versions(catalog, "bench").iloc[-1]
            assert (info.n_added, info.n_updated, info.n_removed) == (400, 300, 300), info
            print(f"  {masklets:>9,} masklets  commit {ref.name}: {times[-1]:8.1f} ms", flush=True)
        return times
    finally:
        catalog.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000", help="catalog sizes in masklets, comma separated")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="sizes 10000,100000")
    args = parser.parse_args()
    sizes = [10000, 100000] if args.quick else [int(s) for s in args.sizes.split(",")]
    results = {}
    with postgres_server() as admin_url:
        for size in sizes:
            t0 = time.perf_counter()
            with fresh_database(admin_url, f"maskloop_bench_commit_{size}") as url:
                times = time_commits(url, size, args.repeats)
            results[size] = statistics.median(times)
            print(f"{size:>9,} masklets: median commit {results[size]:.1f} ms "
                  f"(setup+run {time.perf_counter() - t0:.0f} s)", flush=True)
    anchor, ours = results[min(sizes)], results[max(sizes)]
    print(json.dumps({"bench": "dataset_commit_1000_changes", "ours": round(ours, 1), "anchor": round(anchor, 1),
                      "ratio": round(ours / anchor, 3), "unit": "ms", "ours_size": max(sizes),
                      "anchor_size": min(sizes), "median_ms_by_size": {str(k): round(v, 1) for k, v in results.items()}}))


if __name__ == "__main__":
    main()
