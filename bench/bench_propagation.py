"""Propagation speed: frames/s for 1, 10 and 50 objects, maskloop's batched VideoSession vs sam2's
SAM2VideoPredictor (per-object loop), same tiny-cpu weights, same frames, same run.

    .venv/bin/python bench/bench_propagation.py [--frames 12] [--objects 1,10,50] [--threads 2]

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from model.network.builder import build_network
from model.network.refs import load_model
from model.session.session import VideoSession
from model.synthetic.generator import generate_clip


def points_for(n: int, size: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.1 * size, 0.9 * size, (n, 2)).astype(np.float32)


def bench_ours(model, frames, pts) -> float:
    session = VideoSession(model).init(frames)
    for k, p in enumerate(pts):
        session.add_prompt(0, k + 1, points=[p.tolist()], labels=[1])
    start = time.perf_counter()
    n = sum(1 for _ in session.propagate())
    return n / (time.perf_counter() - start)


def bench_official(predictor, folder: str, pts) -> float:
    state = predictor.init_state(folder)
    for k, p in enumerate(pts):
        predictor.add_new_points_or_box(state, 0, k + 1, points=p[None], labels=np.array([1], np.int32))
    start = time.perf_counter()
    n = sum(1 for _ in predictor.propagate_in_video(state))
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--objects", default="1,10,50")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    model = load_model("builtin:tiny-cpu", device="cpu")
    predictor = build_network(model.arch, predictor=True)
    predictor.load_state_dict(model.network.state_dict())
    clip = generate_clip(seed=0, n_frames=args.frames, height=256, width=256, n_instruments=3)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i, f in enumerate(clip.frames):
            Image.fromarray(f).save(Path(tmp) / f"{i:05d}.jpg")
        frames = [np.array(Image.open(Path(tmp) / f"{i:05d}.jpg").convert("RGB")) for i in range(args.frames)]
        bench_ours(model, frames[:2], points_for(1, 256))  # warm-up (first-call allocations)
        bench_official(predictor, tmp, points_for(1, 256))
        for n in [int(x) for x in args.objects.split(",")]:
            pts = points_for(n, 256)
            ours = bench_ours(model, frames, pts)
            official = bench_official(predictor, tmp, pts)
            results[str(n)] = {"ours_fps": round(ours, 2), "official_fps": round(official, 2),
                               "ratio": round(ours / official, 2)}
            print(f"{n:3d} objects: ours {ours:6.2f} frames/s, official {official:6.2f} frames/s, "
                  f"x{ours / official:.2f}", flush=True)
    print(json.dumps({"bench": "propagation", "model": "tiny-cpu", "frames": args.frames,
                      "threads": args.threads, "objects": results}))


if __name__ == "__main__":
    main()
