"""Propagation speed in frames/s at 854x480 input, for 1, 10 and 50 objects: ``--model`` (default
builtin:default, the lite network) through open_session, and for context sam2's
SAM2VideoPredictor (per-object loop) built from the tiny-cpu architecture with random weights
(256 px model input), on the same JPEG frames in the same run.

    nice -n 10 .venv/bin/python bench/bench_propagation.py [--model builtin:default] [--frames 12]
        [--objects 1,10,50] [--official-objects 1,10] [--threads 2] [--quick]

Figures are frames/s (frames propagated / seconds spent in ``propagate``; prompting and
``init`` are not timed); ratio = ours / official. The official predictor is measured only at the
``--official-objects`` counts (it is slow with many objects); elsewhere it reads "not measured"
(null in the JSON). Target (issue #14): >= 4 frames/s at 1 object. ``--quick``: 4 frames,
objects 1,10, official at 1 object. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from model.errors import ModelError
from model.network.builder import build_network
from model.network.refs import load_model
from model.session.open_session import open_session
from model.synthetic.generator import generate_clip

HEIGHT, WIDTH = 480, 854
TARGET_FPS_1OBJ = 4.0
OFFICIAL_LABEL = "official predictor (tiny-cpu arch, 256 px)"


def points_for(n: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """``n`` click points [n, 2] (x, y in video pixels), inside the central 80% of the frame."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0.1, 0.9, (n, 2)) * np.array([width, height])
    return xy.astype(np.float32)


def bench_ours(model, frames: list[np.ndarray], pts: np.ndarray) -> float:
    """Frames/s of ``propagate`` over ``frames`` with one clicked object per point."""
    session = open_session(model).init(frames)
    for k, p in enumerate(pts):
        session.add_prompt(0, k + 1, points=[p.tolist()], labels=[1])
    start = time.perf_counter()
    n = sum(1 for _ in session.propagate())
    return n / (time.perf_counter() - start)


def bench_official(predictor, folder: str, pts: np.ndarray) -> float:
    """Frames/s of ``propagate_in_video`` over the JPEG folder, one clicked object per point."""
    state = predictor.init_state(folder)
    for k, p in enumerate(pts):
        predictor.add_new_points_or_box(state, 0, k + 1, points=p[None],
                                        labels=np.array([1], np.int32))
    start = time.perf_counter()
    n = sum(1 for _ in predictor.propagate_in_video(state))
    return n / (time.perf_counter() - start)


def counts(text: str) -> list[int]:
    """"1,10,50" -> [1, 10, 50] (empty -> [])."""
    return [int(x) for x in text.split(",") if x.strip()]


def fmt_fps(value: float | None) -> str:
    """A frames/s figure for the table, or "not measured"."""
    return "not measured" if value is None else f"{value:6.2f} frames/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="builtin:default",
                        help="model reference (builtin:lite0 = lite network, random decoder)")
    parser.add_argument("--frames", type=int, default=12, help="frames per clip")
    parser.add_argument("--objects", default="1,10,50", help="object counts for ours")
    parser.add_argument("--official-objects", default="1,10",
                        help="object counts at which the official predictor is also measured")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--quick", action="store_true",
                        help="4 frames, objects 1,10, official at 1 object")
    args = parser.parse_args()
    if args.quick:
        args.frames, args.objects, args.official_objects = 4, "1,10", "1"
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    try:
        model = load_model(args.model, device="cpu")
    except ModelError as exc:  # e.g. builtin:default weights not the lite ones yet
        sys.exit(f"error: {exc}")
    official_model = load_model("builtin:tiny-cpu", device="cpu")
    predictor = build_network(official_model.arch, predictor=True)
    predictor.load_state_dict(official_model.network.state_dict())
    del official_model
    official_at = set(counts(args.official_objects))
    clip = generate_clip(seed=0, n_frames=args.frames, height=HEIGHT, width=WIDTH, n_instruments=3)
    results: dict[str, dict] = {}
    print(f"model {args.model}, {args.frames} frames {WIDTH}x{HEIGHT}, {args.threads} threads; "
          f"official = {OFFICIAL_LABEL}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for i, f in enumerate(clip.frames):
            Image.fromarray(f).save(Path(tmp) / f"{i:05d}.jpg")
        frames = [np.array(Image.open(Path(tmp) / f"{i:05d}.jpg").convert("RGB"))
                  for i in range(args.frames)]
        warm = points_for(1, HEIGHT, WIDTH)
        bench_ours(model, frames[:2], warm)  # warm-up (first-call allocations)
        if official_at:
            bench_official(predictor, tmp, warm)
        for n in counts(args.objects):
            pts = points_for(n, HEIGHT, WIDTH)
            ours = bench_ours(model, frames, pts)
            official = bench_official(predictor, tmp, pts) if n in official_at else None
            ratio = None if official is None else ours / official
            results[str(n)] = {"ours_fps": round(ours, 2),
                               "official_fps": None if official is None else round(official, 2),
                               "ratio": None if ratio is None else round(ratio, 2)}
            print(f"{n:3d} objects: ours {ours:6.2f} frames/s, official {fmt_fps(official)}, "
                  + ("ratio not measured" if ratio is None else f"x{ratio:.2f}"), flush=True)
    one = results.get("1", {}).get("ours_fps")
    if one is None:
        print(f"target: >= {TARGET_FPS_1OBJ:g} frames/s at 1 object (issue #14): "
              "not measured (no 1-object run)", flush=True)
    else:
        print(f"target: >= {TARGET_FPS_1OBJ:g} frames/s at 1 object (issue #14): ours {one:.2f} "
              f"frames/s, ratio {one / TARGET_FPS_1OBJ:.2f} (>= 1 meets it)", flush=True)
    print(json.dumps({"bench": "propagation", "model": args.model, "official": OFFICIAL_LABEL,
                      "input": [HEIGHT, WIDTH], "frames": args.frames, "threads": args.threads,
                      "target_fps_1obj": TARGET_FPS_1OBJ,
                      "target_ratio_1obj": None if one is None else round(one / TARGET_FPS_1OBJ, 2),
                      "objects": results}))


if __name__ == "__main__":
    main()
