"""Benchmark: lineage query p50 on PostgreSQL with 1M masklets (masklet provenance, video impact,
model lineage).

Catalog: storage.catalog.synthetic.bulk_fill (10,000 videos x 100 masklets, all in version 1),
then reviews and a new revision on 200 sampled masklets (committed as version 2) and a chain of 20
fine-tuned models (seg@2..seg@21, each trained on bench@1 or bench@2 from the previous one).
Timed through the same storage functions the CLI uses (``storage.lineage.queries``, DataFrame out),
each ``--samples`` times on random subjects; p50 in milliseconds.

Anchors (anchors.md, "PostgreSQL 15 recursive lineage over 3M edges"): everything derived from one
video 9-12 ms (midpoint 10.5 ms is the headline anchor), upstream of one model 32 ms. The headline
"ours" is the video-impact p50; the other figures are in the same JSON object.

Run: nice -n 10 .venv/bin/python bench/bench_lineage.py [--masklets 1000000] [--quick]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from bench_commit import WHO, filled_catalog, fresh_database, postgres_server

VIDEO_ANCHOR_MS = 10.5  # anchors.md: 9-12 ms
MODEL_ANCHOR_MS = 32.0  # anchors.md: upstream of one model


def _history(catalog, n_masklets: int, rng: random.Random) -> None:
    from storage.catalog.masklets import add_revision
    from storage.catalog.registry import add_training_run, register_model
    from storage.catalog.reviews import add_review
    from storage.catalog.synthetic import MemoryBlobs, fake_sha
    from storage.records import blob_key
    from storage.versions.commit import commit_version

    sample = rng.sample(range(1, n_masklets + 1), 200)
    for i, mid in enumerate(sample):
        add_review(catalog, masklet_id=mid, revision=1, reviewer=f"r{i % 5}", verdict="unsatisfactory", clicks=4,
                   seconds=20.0, external_id=f"b-{mid}-1", **WHO)
        sha = fake_sha(f"fix/{mid}")
        add_revision(catalog, mid, blob_key=blob_key(sha), blob_sha256=sha, frame_indices=(0, 1), scores=(1, 1),
                     source="reviewer", **WHO)
        add_review(catalog, masklet_id=mid, revision=2, reviewer=f"r{i % 5}", verdict="satisfactory", seconds=8.0,
                   external_id=f"b-{mid}-2", **WHO)
    commit_version(catalog, "bench", message="reviewed sample", manifest_writer=MemoryBlobs(), **WHO)
    model_id, _ = register_model(catalog, name="seg", backend="sam2", uri="builtin:tiny-cpu", **WHO)
    for k in range(20):
        run = add_training_run(catalog, dataset_version=f"bench@{1 + k % 2}", base_model_version_id=model_id,
                               mlflow_run_id=f"run-{k}", params={"step": k}, **WHO)
        model_id, _ = register_model(catalog, name="seg", backend="sam2", uri=f"models:/seg/{k + 2}",
                                     training_run_id=run, **WHO)


def _p50(fn, subjects: list) -> float:
    fn(subjects[0])  # warm the plan cache
    times = []
    for subject in subjects:
        t0 = time.perf_counter()
        frame = fn(subject)
        times.append((time.perf_counter() - t0) * 1000)
        assert not frame.empty
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--masklets", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="100,000 masklets")
    args = parser.parse_args()
    n = 100_000 if args.quick else args.masklets
    rng = random.Random(0)
    from storage.lineage.queries import lineage_of_masklet, lineage_of_model, lineage_of_video

    with postgres_server() as admin_url, fresh_database(admin_url, "maskloop_bench_lineage") as url:
        t0 = time.perf_counter()
        catalog = filled_catalog(url, n)
        _history(catalog, n, rng)
        print(f"catalog of {n:,} masklets ready in {time.perf_counter() - t0:.0f} s", flush=True)
        try:
            n_videos = max(1, n // 100)
            masklet = _p50(lambda m: lineage_of_masklet(catalog, m),
                           [rng.randint(1, n) for _ in range(args.samples)])
            video = _p50(lambda v: lineage_of_video(catalog, v), [rng.randint(1, n_videos) for _ in range(args.samples)])
            model = _p50(lambda ref: lineage_of_model(catalog, ref), ["seg@21"] * args.samples)
        finally:
            catalog.close()
    print(f"p50 masklet provenance {masklet:.1f} ms, video impact {video:.1f} ms, model lineage {model:.1f} ms")
    print(json.dumps({"bench": "lineage_p50_postgres", "ours": round(video, 2), "anchor": VIDEO_ANCHOR_MS,
                      "ratio": round(video / VIDEO_ANCHOR_MS, 3), "unit": "ms", "masklets": n,
                      "masklet_provenance_p50_ms": round(masklet, 2), "video_impact_p50_ms": round(video, 2),
                      "model_lineage_p50_ms": round(model, 2), "model_anchor_ms": MODEL_ANCHOR_MS,
                      "model_ratio": round(model / MODEL_ANCHOR_MS, 3)}))


if __name__ == "__main__":
    main()
