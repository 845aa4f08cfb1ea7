"""Peak memory of streamed propagation: a short vs a long video (peak ratio near 1 = flat).

Each length runs in a fresh subprocess that streams frames from a generator (never held as a
list) into ``open_session(load_model(--model))`` (default builtin:default, the lite network),
3 objects prompted with masks on frame 0, and reports its peak resident memory (ru_maxrss, MiB),
its RSS just before propagating (MiB), the propagation time (s) and how many frames the session's
memory manager still holds (``session.memory`` for the lite session, ``session.bank`` for SAM 2).

    nice -n 10 .venv/bin/python bench/bench_memory.py [--model builtin:default] [--short 100]
        [--long 1000] [--height 240] [--width 427] [--threads 1] [--quick]

``--quick``: 20 vs 100 frames at 120x214. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time
import numpy as np, torch
model_ref, n, height, width = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(int(sys.argv[5]))
from model.errors import ModelError
from model.network.refs import load_model
from model.session.open_session import open_session
from model.synthetic.generator import generate_clip
try:
    model = load_model(model_ref, device="cpu")
except ModelError as exc:
    sys.exit(f"error: {exc}")
base = generate_clip(seed=1, n_frames=8, height=height, width=width, n_instruments=3)
def frames():
    for t in range(n):
        yield np.roll(base.frames[t % 8], t % width, axis=1)
s = open_session(model).init(frames())
prompted = 0
for k in range(3):
    if base.masks[k, 0].any():
        s.add_prompt(0, k + 1, mask=base.masks[k, 0])
        prompted += 1
def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20
before = rss_mb()
start = time.perf_counter()
count = sum(1 for _ in s.propagate())
seconds = time.perf_counter() - start
memory = getattr(s, "memory", None)
resident = memory.resident_frames() if memory is not None else s.bank.resident_frames()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux -> MiB
print(json.dumps({"frames": count, "objects": prompted, "peak_rss_mb": round(peak, 1),
                  "rss_before_propagate_mb": round(before, 1), "seconds": round(seconds, 2),
                  "resident_memory_frames": resident}))
"""


def run(model: str, n: int, height: int, width: int, threads: int) -> dict:
    """One fresh child streaming ``n`` frames of ``height`` x ``width``; its JSON figures."""
    cmd = [sys.executable, "-c", CHILD, model, str(n), str(height), str(width), str(threads)]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or [f"exit {out.returncode}"])[-1]
        sys.exit(tail if tail.startswith("error:") else f"error: {n}-frame child failed: {tail}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="builtin:default",
                        help="model reference (builtin:lite0 = lite network, random decoder)")
    parser.add_argument("--short", type=int, default=100, help="frames of the short video")
    parser.add_argument("--long", type=int, default=1000, help="frames of the long video")
    parser.add_argument("--height", type=int, default=240, help="frame height (px)")
    parser.add_argument("--width", type=int, default=427, help="frame width (px)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--quick", action="store_true", help="20 vs 100 frames at 120x214")
    args = parser.parse_args()
    if args.quick:
        args.short, args.long, args.height, args.width = 20, 100, 120, 214
    results = {}
    for name, n in (("short", args.short), ("long", args.long)):
        r = results[name] = run(args.model, n, args.height, args.width, args.threads)
        print(f"{n} frames {args.width}x{args.height}: peak {r['peak_rss_mb']:.0f} MiB "
              f"(before propagating {r['rss_before_propagate_mb']:.0f} MiB), "
              f"{r['seconds']:.1f} s, {r['resident_memory_frames']} memory frames resident",
              flush=True)
    ratio = results["long"]["peak_rss_mb"] / results["short"]["peak_rss_mb"]
    print(f"peak ratio long/short: {ratio:.3f} (flat = near 1)", flush=True)
    print(json.dumps({"bench": "memory", "model": args.model, "input": [args.height, args.width],
                      "threads": args.threads, "short": results["short"],
                      "long": results["long"], "ratio": round(ratio, 3)}))


if __name__ == "__main__":
    main()
