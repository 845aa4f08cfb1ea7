"""Synthetic catalog content for benchmarks and large tests (never used by the product flows).

:func:`bulk_fill` loads ``n_videos x masklets_per_video`` masklets straight into the tables (COPY on
PostgreSQL, executemany on SQLite), every one accepted at revision 1 and already committed as
version 1 of the dataset, so a later commit only sees what the caller changes afterwards. The load
appends ONE audit event (``synthetic.bulk_fill``) describing it, not one per row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session

from storage.audit.trail import append_event
from storage.catalog.catalog import Catalog
from storage.catalog.masklets import add_masklet, add_revision, set_masklet_status
from storage.catalog.registry import add_training_run, finish_training_run, register_model
from storage.catalog.reviews import add_review
from storage.catalog.rounds import create_round
from storage.catalog.videos import ensure_dataset, register_video
from storage.records import NewVideo, blob_key
from storage.versions.commit import commit_version
from storage.versions.splits import split_for

_COLUMNS = {
    "video": ("id", "dataset_id", "sha256", "frames_prefix", "n_frames", "width", "height", "fps", "source_fps",
              "sampling_stride", "codec", "source_frame_indices", "created_by", "created_at"),
    "masklet": ("id", "video_id", "origin", "status", "current_revision", "committed_revision", "dirty",
                "created_by", "created_at"),
    "masklet_revision": ("id", "masklet_id", "rev", "blob_key", "blob_sha256", "frame_start", "frame_end",
                         "frame_indices", "scores", "source", "created_by", "created_at"),
    "dataset_version": ("id", "dataset_id", "number", "manifest_key", "manifest_sha256", "n_members", "n_added",
                        "n_updated", "n_removed", "composition", "message", "created_by", "created_at"),
    "dataset_version_change": ("id", "version_id", "masklet_id", "revision_id", "op"),
    "video_split": ("video_id", "split", "version_id"),
}


def fake_sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def new_video(dataset: str, tag: str, *, n_frames: int = 30) -> NewVideo:
    """A synthetic video record (no file behind it)."""
    return NewVideo(dataset=dataset, sha256=fake_sha(f"video/{dataset}/{tag}"), n_frames=n_frames, width=64,
                    height=48, fps=6.0, source_fps=24.0, sampling_stride=4.0, codec="h264",
                    source_frame_indices=tuple(range(0, 4 * n_frames, 4)))


def add_masklets(catalog: Catalog, video_id: int, count: int, *, status: str, actor: str, role: str,
                 origin: str = "auto", tag: str = "", **extra: object) -> list[int]:
    """``count`` masklets on frames 0..2 of the video, through the real catalog functions (audited)."""
    ids = []
    for i in range(count):
        sha = fake_sha(f"blob/{video_id}/{tag}/{i}")
        ids.append(add_masklet(catalog, video_id=video_id, origin=origin, blob_key=blob_key(sha), blob_sha256=sha,
                               frame_indices=(0, 1, 2), scores=(0.9, 0.8, 0.7), status=status,
                               source="model" if origin == "auto" else "import", actor=actor, role=role,
                               **extra))
    return ids


def _next_ids(session: Session, tables: Sequence[str]) -> dict[str, int]:
    return {t: int(session.execute(sa.text(f"SELECT COALESCE(MAX(id), 0) FROM {t}")).scalar()) + 1 for t in tables}


def _load(session: Session, table: str, rows: Iterable[tuple]) -> None:
    columns = _COLUMNS[table]
    if session.get_bind().dialect.name == "postgresql":
        raw = session.connection().connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)
        return
    marks = ", ".join(f":{c}" for c in columns)
    batch: list[dict] = []
    for r in rows:
        batch.append(dict(zip(columns, r)))
        if len(batch) >= 20000:
            session.execute(sa.text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"), batch)
            batch = []
    if batch:
        session.execute(sa.text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"), batch)


def bulk_fill(catalog: Catalog, *, dataset: str, n_videos: int, masklets_per_video: int, actor: str,
              role: str) -> dict[str, int]:
    """Load the dataset (must not exist yet) as version 1; returns first ids and counts."""
    ds_id = ensure_dataset(catalog, dataset, actor=actor, role=role)
    now = datetime.now(UTC)
    n = n_videos * masklets_per_video
    with catalog.session("bulk loading a synthetic dataset") as s:
        first = _next_ids(s, ("video", "masklet", "masklet_revision", "dataset_version", "dataset_version_change"))
        v0, m0, r0, dv, c0 = (first[t] for t in ("video", "masklet", "masklet_revision", "dataset_version",
                                                 "dataset_version_change"))
        shas = [fake_sha(f"video/{dataset}/{i}") for i in range(n_videos)]
        _load(s, "video", ((v0 + i, ds_id, sha, f"videos/{sha}/frames/", 30, 64, 48, 6.0, 24.0, 4.0, "h264", "[]",
                            actor, now) for i, sha in enumerate(shas)))
        splits = [split_for(sha) for sha in shas]
        composition: dict[str, dict[str, int]] = {}
        for sp in splits:
            composition.setdefault(sp, {"auto": 0})["auto"] += masklets_per_video
        _load(s, "dataset_version", [(dv, ds_id, 1, "synthetic", "0" * 64, n, n, 0, 0, json.dumps(composition),
                                      "synthetic bulk load", actor, now)])
        _load(s, "masklet", ((m0 + k, v0 + k // masklets_per_video, "auto", "accepted", 1, 1, False, actor, now)
                             for k in range(n)))
        _load(s, "masklet_revision", ((r0 + k, m0 + k, 1, blob_key(fake_sha(f"b{m0 + k}")), fake_sha(f"b{m0 + k}"),
                                       0, 2, "[0,1,2]", "[0.9,0.8,0.7]", "model", actor, now) for k in range(n)))
        _load(s, "dataset_version_change", ((c0 + k, dv, m0 + k, r0 + k, "add") for k in range(n)))
        _load(s, "video_split", ((v0 + i, sp, dv) for i, sp in enumerate(splits)))
        if s.get_bind().dialect.name == "postgresql":
            for table in ("video", "masklet", "masklet_revision", "dataset_version", "dataset_version_change"):
                s.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT MAX(id) FROM {table}))"))
        append_event(s, actor=actor, role=role, action="synthetic.bulk_fill", entity=f"dataset:{ds_id}",
                     details={"dataset": dataset, "videos": n_videos, "masklets": n})
    if catalog.engine.dialect.name == "postgresql":
        with catalog.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    return {"first_video_id": v0, "first_masklet_id": m0, "videos": n_videos, "masklets": n}


class MemoryBlobs:
    """A ``manifest_writer`` keeping blobs in a dict (tests and benchmarks without an object store)."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def __call__(self, data: bytes) -> tuple[str, str]:
        sha = hashlib.sha256(data).hexdigest()
        self.blobs[sha] = data
        return blob_key(sha), sha


def build_scenario(catalog: Catalog, *, dataset: str = "demo", actor: str = "alice", role: str = "data_manager") -> dict:
    """A small, complete history: 3 videos, a generator model, a round, masklets with revisions and
    reviews, version 1, a training run producing model ``seg@2``, version 2 and a fine-tune ``seg@3``.

    Returns the ids and refs involved (keys: videos, masklets, base_model_id, round_id, v1, v2,
    run1, run2, model2_id, model3_id, blobs).
    """
    who = {"actor": actor, "role": role}
    videos = [register_video(catalog, new_video(dataset, f"s{i}"), **who) for i in range(3)]
    base_id, _ = register_model(catalog, name="seg", backend="sam2", uri="builtin:tiny-cpu", **who)
    round_id = create_round(catalog, dataset=dataset, model_version_id=base_id, budget=10, **who)
    masklets = []
    for v in videos:
        masklets += add_masklets(catalog, v.id, 2, status="proposed", tag="scn", round_id=round_id,
                                 generator_model_version_id=base_id, generator_params_hash=fake_sha("params"), **who)
    gt = add_masklets(catalog, videos[0].id, 1, status="accepted", origin="ground_truth", tag="gt", **who)
    for i, m in enumerate(masklets):
        verdict = "satisfactory" if i % 3 else "unsatisfactory"
        add_review(catalog, masklet_id=m, revision=1, reviewer=f"rev{i % 2}", verdict=verdict, clicks=i,
                   seconds=10.0 + i, external_id=f"ls-{m}-1", **who)
        if verdict == "unsatisfactory":
            sha = fake_sha(f"fix/{m}")
            add_revision(catalog, m, blob_key=blob_key(sha), blob_sha256=sha, frame_indices=(0, 1), scores=(1.0, 1.0),
                         source="reviewer", **who)
            add_review(catalog, masklet_id=m, revision=2, reviewer="rev0", verdict="satisfactory", seconds=5.0,
                       external_id=f"ls-{m}-2", **who)
        set_masklet_status(catalog, m, "accepted", **who)
    blobs = MemoryBlobs()
    v1 = commit_version(catalog, dataset, message="first", manifest_writer=blobs, **who)
    ml = {"actor": actor, "role": "ml_engineer"}
    run1 = add_training_run(catalog, dataset_version=v1.name, base_model_version_id=base_id, mlflow_run_id="mlf-1",
                            params={"lr": 1e-4}, **ml)
    finish_training_run(catalog, run1, status="finished", metrics={"j_and_f": 0.71}, **ml)
    model2_id, _ = register_model(catalog, name="seg", backend="sam2", uri="models:/seg/2", training_run_id=run1, **ml)
    set_masklet_status(catalog, masklets[-1], "rejected", **who)
    sha = fake_sha("second-fix")
    add_revision(catalog, masklets[1], blob_key=blob_key(sha), blob_sha256=sha, frame_indices=(1, 2), scores=(1.0, 1.0),
                 source="reviewer", **who)
    v2 = commit_version(catalog, dataset, message="second", manifest_writer=blobs, **who)
    run2 = add_training_run(catalog, dataset_version=v2.name, base_model_version_id=model2_id, mlflow_run_id="mlf-2",
                            **ml)
    model3_id, _ = register_model(catalog, name="seg", backend="sam2", uri="models:/seg/3", training_run_id=run2, **ml)
    return {"videos": videos, "masklets": masklets, "gt": gt, "base_model_id": base_id, "round_id": round_id,
            "v1": v1, "v2": v2, "run1": run1, "run2": run2, "model2_id": model2_id, "model3_id": model3_id,
            "blobs": blobs}
