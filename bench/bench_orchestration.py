"""Benchmark: share of a 10-video round's wall time spent in orchestration (Prefect), not model/I-O work.

The round (defaults): 10 generated surgical-like training videos (flows/programs/demo_data.py) of 30
frames each -- 5 s of video at the 6 frames/s the product keeps at ingest (``MASKLOOP_SAMPLE_FPS``)
-- of 256 x 256 px, the tiny-cpu model's input size. Generation asks for up to 3 masklets per video
(``--masklets``; the clips hold 2 or 3 instruments) with the score filters off: the shipped weights
score below the product's filters and propose nothing there, so a round with them would never
propagate, while a champion worth running proposes the visible objects and propagates them
through every frame, which is most of a real round's model work. ``--masklets 0`` keeps the
product's filters (with the shipped weights: the first-frame grid only). ``--quick``: 4 videos of
8 frames of 128 px with the product's filters (a smoke run, not the figure). The previous
defaults were ``--frames 16 --size 128 --masklets 0``.

What runs: the videos are ingested into an embedded catalog (SQLite + local object store in a
temporary folder), a round is planned with the champion model (flows.cycle.create_round.plan_round),
``maskloop deploy`` registers the ``generate-masklets`` deployment, and
:func:`flows.orchestration.fanout.run_generation_fanout` submits one flow run per video to the
``gpu`` process work pool (a lead run per ``gpu`` slot first, the rest once it is Running;
``--lead none`` submits all at once, ``--lead PENDING`` once a worker took it) and waits for all of
them -- the production path (``annotation_round``'s ``generate_round`` makes the same call). By
default a PRIVATE Prefect server (on a private PostgreSQL 15 like the stack's, ``--prefect-db
sqlite`` for SQLite; temporary PREFECT_HOME, random loopback port) and one private process worker on pool ``gpu`` polling every
``--worker-query-s`` seconds (PREFECT_WORKER_QUERY_SECONDS; default: the local stack's
WORKER_QUERY_S in flows/stack/prefect_server.py) are started and stopped by this script;
``--api-url URL`` uses a running server whose ``gpu`` pool has a worker (e.g. the local stack's).

Measure (seconds, one run; the anchor is measured in the same run):
- wall = from the fan-out's start (before the first submit) until it has seen every run final.
- work (the anchor) = the union of the flow runs' Running intervals as Prefect records them
  (start_time..end_time: the flow body -- opening the catalog, reading frames, loading the model,
  generating, storing masklets), minus the time each run waited for the ``gpu`` slot (from the
  ``maskloop.gpu-slot.acquired`` event, flows/orchestration/gpu_slot.py): a run that has started
  and waits for the device does no work. Overlapping runs count once.
- orchestration = wall - work: submitting, queueing for the pool, worker polling, process start-up
  and imports before the body runs, state round trips, waiting for the device while nothing else
  works. orchestration_share = orchestration / wall; target < 0.05; ratio = share / target
  (<= 1 meets it). ``orchestration_share_running`` is the same with slot waits counted as work
  (the accounting before slot waits were recorded).
- per run (median over runs): queued = created -> Pending (waiting for a pool slot + polling),
  startup = Pending -> Running (process, imports, flow load, state round trips), slot_wait, body =
  Running -> final. first_start = wall start -> first body; tail = last body end -> wall end;
  gaps = the rest of the orchestration time (no run working in between). ``--timeline`` prints
  every run's timestamps.
Read the share next to ``wall_s``: slower model work lowers the share. And the body's own imports
(catalog, torch: about 2 s per flow run on 2 idle cores, more under load) count as work here,
though a process per video is what makes them be paid per video.

Run: nice -n 5 .venv/bin/python bench/bench_orchestration.py [--videos 10] [--frames 30] [--size 256]
     [--masklets 3] [--quick] [--timeline] [--worker-query-s 0.25] [--prefect-db postgres|sqlite]
     [--lead RUNNING|PENDING|none] [--api-url URL]
Last line: one JSON object {"bench": "orchestration", "orchestration_share": .., "target": 0.05, ...}.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATASET = "bench-orch"
TARGET = 0.05


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(check, *, timeout_s: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise RuntimeError(f"{what} not ready after {timeout_s:.0f} s")


def start_private_prefect(tmp: Path, *, query_s: float, db_url: str | None) -> tuple[str, list]:  # type: ignore[type-arg]
    """A Prefect server on ``db_url`` (SQLAlchemy URL, asyncpg for PostgreSQL; None: SQLite in
    ``tmp``) + one process worker on pool ``gpu`` polling every ``query_s`` seconds; returns
    (api url, process records)."""
    import httpx

    from flows.orchestration.prefect_api import api_healthy
    from flows.stack import process
    from flows.stack.prefect_server import prefect_base_env, prefect_executable
    from flows.stack.records import Command

    port, home = _free_port(), tmp / "prefect"
    home.mkdir(parents=True)
    url = f"http://127.0.0.1:{port}/api"
    env = prefect_base_env(home)
    env.update({"PREFECT_SERVER_DATABASE_CONNECTION_URL": db_url or f"sqlite+aiosqlite:///{home / 'prefect.db'}",
                "PREFECT_UI_ENABLED": "false", "PREFECT_SERVER_API_HOST": "127.0.0.1",
                "PREFECT_SERVER_API_PORT": str(port)})
    server = process.spawn(service="bench-prefect", log=tmp / "prefect-server.log", command=Command(
        argv=(str(prefect_executable()), "server", "start", "--host", "127.0.0.1", "--port", str(port)),
        env=env, unset=("PREFECT_API_URL", "PREFECT_PROFILE"), cwd=home))
    records = [server]
    try:
        _wait(lambda: api_healthy(url), timeout_s=240, what="private Prefect server")
        from prefect.workers.process import ProcessWorker

        httpx.post(f"{url}/work_pools/", timeout=30, json={
            "name": "gpu", "type": "process", "base_job_template": ProcessWorker.get_default_base_job_template()})
        worker_env = prefect_base_env(home)
        worker_env.update({"PREFECT_API_URL": url, "PREFECT_WORKER_QUERY_SECONDS": str(query_s)})
        records.append(process.spawn(service="bench-worker", log=tmp / "prefect-worker.log", command=Command(
            argv=(str(prefect_executable()), "worker", "start", "--pool", "gpu", "--type", "process",
                  "--name", "bench-gpu"), env=worker_env, cwd=home)))
    except BaseException:  # not ready, or interrupted: stop what was started before giving up
        for rec in reversed(records):
            process.stop(rec, timeout_s=20.0)
        raise
    return url, records


def ingest_clips(settings, *, n_videos: int, n_frames: int, size: int,  # type: ignore[no-untyped-def]
                 tmp: Path) -> None:
    """Generate N training-split demo videos (H.264 mp4, 6 fps, flows/programs/demo_data.py); ingest them."""
    from flows.cycle.ingest import IngestItem, ingest_one
    from flows.cycle.workspace import open_workspace
    from flows.programs.demo_data import make_demo_videos

    videos = make_demo_videos(tmp / "videos", n_train=n_videos, n_val=0, n_frames=n_frames, size=size)
    with open_workspace(settings) as ws:
        for video in videos:
            ingest_one(ws, IngestItem(path=str(video.path)), dataset=DATASET)


def union_seconds(intervals: list[tuple[float, float]]) -> float:
    """Total length of the union of [start, end] intervals (seconds)."""
    total, cur_start, cur_end = 0.0, None, None
    for start, end in sorted(intervals):
        if cur_end is None or start > cur_end:
            if cur_end is not None:
                total += cur_end - cur_start  # type: ignore[operator]
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_end is not None:
        total += cur_end - cur_start  # type: ignore[operator]
    return total


def minus(interval: tuple[float, float], hole: tuple[float, float] | None) -> list[tuple[float, float]]:
    """``interval`` without ``hole`` (0, 1 or 2 pieces; epoch seconds)."""
    start, end = interval
    if hole is None or hole[1] <= start or hole[0] >= end:
        return [interval]
    return [(a, b) for a, b in ((start, max(start, hole[0])), (min(end, hole[1]), end)) if b > a]


@dataclasses.dataclass(frozen=True)
class RunTimes:
    """One flow run's timestamps (epoch seconds): created, Pending, Running (start), final (end);
    ``slot_wait``: (began, granted) of its wait for the ``gpu`` slot, None when not recorded."""

    flow_run_id: str
    created: float
    pending: float | None
    start: float | None
    end: float | None
    slot_wait: tuple[float, float] | None


def run_times(api_url: str, flow_run_ids: list[str], *, since: float,
              events_timeout_s: float = 20.0) -> list[RunTimes]:
    """State timestamps of each run (Prefect's state history) and its slot wait (our event)."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with (temporary_settings(updates={PREFECT_API_URL: api_url}),
          get_client(sync_client=True) as client):
        rows = []
        for fid in flow_run_ids:
            run = client.read_flow_run(UUID(fid))
            history = client.read_flow_run_states(UUID(fid))
            states = {s.type.value: s.timestamp.timestamp() for s in history}
            rows.append((fid, run, states))
        ran = {fid for fid, run, _ in rows if run.start_time}
        waits = _slot_waits(client, since=since, want=ran, timeout_s=events_timeout_s)
    return [RunTimes(flow_run_id=fid, created=run.created.timestamp(), pending=states.get("PENDING"),
                     start=run.start_time.timestamp() if run.start_time else None,
                     end=run.end_time.timestamp() if run.end_time else None, slot_wait=waits.get(fid))
            for fid, run, states in rows]


def _slot_waits(client, *, since: float, want: set[str],  # type: ignore[no-untyped-def]
                timeout_s: float) -> dict[str, tuple[float, float]]:
    """flow run id -> (wait began, slot granted) from ``maskloop.gpu-slot.acquired`` events; the
    server stores events asynchronously, so this polls until every run in ``want`` has one."""
    from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter

    from flows.orchestration.gpu_slot import ACQUIRED_EVENT

    deadline = time.monotonic() + timeout_s
    while True:
        waits: dict[str, tuple[float, float]] = {}
        window = EventOccurredFilter(since=datetime.fromtimestamp(since - 5, UTC), until=datetime.now(UTC))
        page = client.read_events(
            filter=EventFilter(event=EventNameFilter(name=[ACQUIRED_EVENT]), occurred=window), limit=50)
        while True:
            for event in page.events:
                runs = [r.id.removeprefix("prefect.flow-run.") for r in event.related
                        if r.id.startswith("prefect.flow-run.")]
                granted = event.occurred.timestamp()
                for fid in runs:
                    waits[fid] = (granted - float(event.payload.get("waited_s", 0.0)), granted)
            if not page.next_page:
                break
            page = client.read_events_page(page.next_page)
        if want <= set(waits) or time.monotonic() > deadline:
            return waits
        time.sleep(1.0)


@dataclasses.dataclass(frozen=True)
class Accounting:
    """Wall, work and where the rest went (seconds); see the module docstring."""

    wall: float
    work: float
    work_running: float
    first_start: float
    tail: float


def account(runs: list[RunTimes], *, started: float, ended: float) -> Accounting:
    """Work = union of Running intervals minus slot waits; also the Running-only union."""
    running = [(r.start, r.end) for r in runs if r.start is not None and r.end is not None]
    waits = {(r.start, r.end): r.slot_wait for r in runs}
    working = [piece for span in running for piece in minus(span, waits[span])]
    return Accounting(wall=ended - started, work=union_seconds(working), work_running=union_seconds(running),
                      first_start=min(a for a, _ in working) - started if working else ended - started,
                      tail=ended - max(b for _, b in working) if working else 0.0)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def phases(runs: list[RunTimes]) -> dict[str, float | None]:
    """Median seconds per run of queued, startup, slot_wait and body (see the module docstring)."""
    return {
        "queued_s": _median([r.pending - r.created for r in runs if r.pending]),
        "startup_s": _median([r.start - r.pending for r in runs if r.start and r.pending]),
        "slot_wait_s": _median([b - a for a, b in (r.slot_wait for r in runs if r.slot_wait)]),
        "body_s": _median([r.end - r.start for r in runs if r.start and r.end]),
    }


def print_timeline(runs: list[RunTimes], *, started: float) -> None:
    """One line per run: created, Pending, Running, slot wait began / granted, final (s after ``started``)."""
    def rel(t: float | None) -> str:
        return "   -  " if t is None else f"{t - started:6.1f}"

    print("created pending running  wait  granted   final", flush=True)
    for r in sorted(runs, key=lambda r: r.start or float("inf")):
        wait = r.slot_wait or (None, None)
        print(" ".join(rel(t) for t in (r.created, r.pending, r.start, wait[0], wait[1], r.end)), flush=True)


def generation_config(masklets: int) -> dict:  # type: ignore[type-arg]
    """The round's CycleConfig as a flow parameter: score filters off, at most ``masklets`` per video
    (0: the product's filters and limits)."""
    from flows.cycle.config import CycleConfig

    cfg = CycleConfig() if masklets <= 0 else CycleConfig(pred_iou_thresh=0.0, stability_thresh=0.0,
                                                          max_masks=masklets)
    return dataclasses.asdict(cfg)


def settings_line(args: argparse.Namespace, *, pool_limit: int) -> str:
    """What this run measures, printed first."""
    filters = (f"up to {args.masklets} masklets per video (score filters off)" if args.masklets > 0
               else "the product's filters")
    prefect = (f"external {args.api_url}" if args.api_url
               else f"private server on {args.prefect_db} + process worker polling every {args.worker_query_s:g} s")
    return (f"round: {args.videos} videos x {args.frames} frames of {args.size}x{args.size} px, {filters}; "
            f"gpu limit 1 slot, pool limit {pool_limit} runs; Prefect: {prefect}")


def report(args: argparse.Namespace, runs: list[RunTimes], acc: Accounting, *, n_masklets: int,
           pool_limit: int) -> dict:  # type: ignore[type-arg]
    """Print the figures; return the last line's JSON object."""
    orch = acc.wall - acc.work
    share, share_running = orch / acc.wall, (acc.wall - acc.work_running) / acc.wall
    per_run = phases(runs)
    gaps = max(0.0, orch - acc.first_start - acc.tail)
    events = sum(r.slot_wait is not None for r in runs)
    print(f"{len(runs)} videos, {n_masklets} masklets: wall {acc.wall:.1f} s, work (anchor) {acc.work:.1f} s, "
          f"orchestration {orch:.1f} s = {share:.1%} of the wall (target {TARGET:.0%}, ratio "
          f"{share / TARGET:.2f}); counting slot waits as work: {share_running:.1%}", flush=True)
    print(f"orchestration: {acc.first_start:.1f} s until the first body works, {acc.tail:.1f} s after the "
          f"last, {gaps:.1f} s in between; per run (median s): queued {per_run['queued_s']}, start-up "
          f"{per_run['startup_s']}, slot wait {per_run['slot_wait_s']}, body {per_run['body_s']}; "
          f"slot events for {events}/{len(runs)} runs", flush=True)
    return {
        "bench": "orchestration", "orchestration_share": round(share, 4), "target": TARGET,
        "ratio": round(share / TARGET, 3), "orchestration_share_running": round(share_running, 4),
        "videos": len(runs), "frames": args.frames, "size": args.size, "masklets_per_video": args.masklets,
        "masklets": n_masklets, "wall_s": round(acc.wall, 2), "work_s": round(acc.work, 2),
        "orchestration_s": round(orch, 2), "first_start_s": round(acc.first_start, 2),
        "tail_s": round(acc.tail, 2), "gaps_s": round(gaps, 2), **per_run, "slot_events": events,
        "pool_limit": pool_limit,
        "prefect": "external" if args.api_url else f"private server ({args.prefect_db}) + process worker",
        "worker_query_s": None if args.api_url else args.worker_query_s,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=10)
    parser.add_argument("--frames", type=int, default=30, help="frames per video (30 = 5 s at 6 frames/s)")
    parser.add_argument("--size", type=int, default=256, help="frame width and height, px")
    parser.add_argument("--masklets", type=int, default=3,
                        help="masklets per video at most, score filters off (0: the product's filters)")
    parser.add_argument("--api-url", default=None, help="use this Prefect server instead of a private one")
    from flows.stack.prefect_server import WORKER_QUERY_S

    parser.add_argument("--worker-query-s", type=float, default=WORKER_QUERY_S,
                        help="PREFECT_WORKER_QUERY_SECONDS of the private worker (seconds between polls; "
                             "default: the local stack's)")
    parser.add_argument("--prefect-db", choices=("postgres", "sqlite"), default="postgres",
                        help="database of the private Prefect server: a private PostgreSQL 15 like the "
                             "stack's and production's (default), or SQLite")
    parser.add_argument("--lead", choices=("RUNNING", "PENDING", "none"), default="RUNNING",
                        help="submit one run per gpu slot first, the rest once those reach this state")
    parser.add_argument("--quick", action="store_true",
                        help="4 videos of 8 frames of 128 px, product filters (a smoke run, not the figure)")
    parser.add_argument("--timeline", action="store_true", help="print every run's timestamps (s after the start)")
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so the private server, worker and PostgreSQL are stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.quick:
        args.videos, args.frames, args.size, args.masklets = 4, 8, 128, 0

    from flows.orchestration.server_setup import PREFETCH

    print(settings_line(args, pool_limit=PREFETCH), flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-orch-"))
    with contextlib.ExitStack() as stack:
        db_url = None
        if not args.api_url and args.prefect_db == "postgres":
            from bench_commit import fresh_database, postgres_server

            admin = stack.enter_context(postgres_server())
            db_url = stack.enter_context(fresh_database(admin, "maskloop_bench_prefect")).replace(
                "postgresql+psycopg://", "postgresql+asyncpg://")
        return _measure(args, tmp, db_url=db_url)


def _measure(args: argparse.Namespace, tmp: Path, *, db_url: str | None) -> int:
    """Start Prefect (unless ``--api-url``), ingest, fan the round out, print the figures."""
    from flows.cycle.config import CycleConfig
    from flows.cycle.create_round import plan_round
    from flows.cycle.workspace import open_workspace
    from flows.orchestration.deploy_all import deploy_all
    from flows.orchestration.fanout import run_generation_fanout
    from flows.orchestration.server_setup import PREFETCH
    from flows.settings import Settings
    from flows.stack import process
    from storage.catalog.masklets import list_masklets

    records: list = []  # type: ignore[type-arg]
    try:
        if args.api_url:
            url = args.api_url
        else:
            url, records = start_private_prefect(tmp, query_s=args.worker_query_s, db_url=db_url)
        settings = Settings(_env_file=None, home=tmp / "home", prefect_api_url=url)  # type: ignore[call-arg]
        ingest_clips(settings, n_videos=args.videos, n_frames=args.frames, size=args.size, tmp=tmp)
        with open_workspace(settings) as ws:
            plan = plan_round(ws, dataset=DATASET, n_videos=args.videos, cfg=CycleConfig())
        deploy_all(settings, only=("generate-masklets",), gpu_workers=1)
        started = time.time()
        result = run_generation_fanout(plan.round_id, plan.video_ids, api_url=url,
                                       parameters={"config": generation_config(args.masklets)},
                                       lead_until=None if args.lead == "none" else args.lead)
        ended = time.time()
        runs = run_times(url, [r.flow_run_id for r in result.runs if r.flow_run_id], since=started)
        if args.timeline:
            print_timeline(runs, started=started)
        with open_workspace(settings) as ws:
            n_masklets = len(list_masklets(ws.catalog, dataset=DATASET))
        acc = account(runs, started=started, ended=ended)
        print(json.dumps(report(args, runs, acc, n_masklets=n_masklets, pool_limit=PREFETCH)))
        return 0
    finally:
        for rec in reversed(records):
            process.stop(rec, timeout_s=20.0)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
