"""Peak memory of streamed propagation: a 100-frame vs a 2,000-frame video (ratio near 1).

Each length runs in a fresh subprocess that streams frames from a generator into a VideoSession
(3 objects, tiny-cpu) and reports its peak resident memory (ru_maxrss).

    .venv/bin/python bench/bench_memory.py [--short 100] [--long 2000] [--size 96]

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import numpy as np, torch
torch.set_num_threads(int(sys.argv[3]))
from model.network.refs import load_model
from model.session.session import VideoSession
from model.synthetic.generator import generate_clip
n, size = int(sys.argv[1]), int(sys.argv[2])
base = generate_clip(seed=1, n_frames=8, height=size, width=size, n_instruments=3)
def frames():
    for t in range(n):
        yield np.roll(base.frames[t % 8], t % size, axis=1)
s = VideoSession(load_model("builtin:tiny-cpu", device="cpu")).init(frames())
for k in range(3):
    if base.masks[k, 0].any():
        s.add_prompt(0, k + 1, mask=base.masks[k, 0])
start = time.perf_counter()
count = sum(1 for _ in s.propagate())
print(json.dumps({"frames": count, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "seconds": time.perf_counter() - start, "resident_memories": s.bank.resident_frames()}))
"""


def run(n: int, size: int, threads: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(size), str(threads)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--short", type=int, default=100)
    parser.add_argument("--long", type=int, default=2000)
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    short = run(args.short, args.size, args.threads)
    print(f"{args.short} frames: peak {short['peak_rss_mb']:.0f} MiB", flush=True)
    long = run(args.long, args.size, args.threads)
    print(f"{args.long} frames: peak {long['peak_rss_mb']:.0f} MiB", flush=True)
    print(json.dumps({"bench": "memory", "short": short, "long": long,
                      "ratio": round(long["peak_rss_mb"] / short["peak_rss_mb"], 3)}))


if __name__ == "__main__":
    main()
