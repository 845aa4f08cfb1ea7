"""Data-engine efficacy on real video: ``maskloop bench engine`` on a DAVIS root (R rounds of the
real cycle on unseen sequences, oracle reviewer, retraining, promotion gate; see
flows/programs/engine_bench.py).

    .venv/bin/python bench/bench_engine.py [--data DAVIS_ROOT] [--quick] [-- EXTRA maskloop OPTIONS]

The data is real video with ground truth that the project does not ship: ``--data``, else the
environment variable ``DAVIS_ROOT`` (``make bench`` sets it, by
default ``../shared/data/davis2016``). When neither names a folder the benchmark does NOT run: it
says so and its JSON line carries ``"ran": false`` and no figures.

Defaults: 3 rounds x 3 sequences, 3 held out (12 sequences), the command's own defaults for frames
and size; ``--quick``: 2 rounds x 1 sequence, 1 held out, at most 8 frames per sequence.
Last line: one JSON object: ours = the final champion's J&F on the held-out split, anchor = the
first champion's (round 0) in the same run, their ratio, the copy-first-mask J&F, and per round
the masklets proposed and accepted, acceptance rate and clicks per accepted masklet, and the three
annotation phases (``--phases``: frames edited, clicks, seconds per frame, J&F; SAM 2 Table 1 is
the anchor). The command's whole JSON object is kept in ``bench/results/engine.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = "DAVIS_ROOT"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help=f"DAVIS root (default: ${ENV})")
    parser.add_argument("--quick", action="store_true", help="2 rounds x 1 sequence, 1 held out, 8 frames")
    parser.add_argument("extra", nargs="*", help="more `maskloop bench engine` options, after --")
    args = parser.parse_args()
    data = args.data or os.environ.get(ENV)
    if not data or not Path(data).is_dir():
        reason = (f"no DAVIS data: {data} is not a folder" if data else
                  f"no DAVIS data: pass --data DAVIS_ROOT or set {ENV}")
        print(f"bench_engine: NOT RUN ({reason})", flush=True)
        print(json.dumps({"bench": "engine", "ran": False, "reason": reason}))
        return 0
    size = (["--rounds", "2", "--videos-per-round", "1", "--val", "1", "--max-frames", "8"] if args.quick else
            ["--rounds", "3", "--videos-per-round", "3", "--val", "3"])
    cmd = [sys.executable, "-m", "flows.cli", "bench", "engine", "--data", str(data), "--json", "--phases",
           "--workdir", str(ROOT / "bench" / "results" / "engine"), *size, *args.extra]
    print("running: " + " ".join(cmd[1:]), flush=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, check=False, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.strip()]
    if proc.returncode != 0 or not lines:
        reason = f"maskloop bench engine exited {proc.returncode}"
        print(json.dumps({"bench": "engine", "ran": False, "reason": reason}))
        return proc.returncode or 1
    doc = json.loads(lines[-1])
    full = ROOT / "bench" / "results" / "engine.json"
    full.parent.mkdir(parents=True, exist_ok=True)
    full.write_text(json.dumps(doc, indent=2))
    rounds = doc["rounds"]
    print(f"held out: {', '.join(doc['val_sequences'])}; round 0 champion {doc['baseline']['champion']} "
          f"val J&F {doc['baseline']['val_JF']:.3f} (copy-first-mask {doc['baseline']['copy_first_mask_JF']:.3f})")
    for r in rounds:
        print(f"round {r['round']} ({', '.join(r['sequences'])}): proposed {r['proposed']}, accepted {r['accepted']} "
              f"({r['acceptance_rate']:.0%} of proposed), clicks/accepted {r['clicks_per_accepted']}, "
              f"champion {r['champion']} val J&F {r['val_JF']:.3f}", flush=True)
    phases = doc.get("phases") or []
    for p in phases:
        print(f"phase {p['phase']}: frames edited {p['frames_edited_pct']:.1f}%, clicks/masklet "
              f"{p['clicks_per_masklet']:.2f}, clicks/clicked frame {p['clicks_per_clicked_frame']:.2f}, "
              f"{p['seconds_per_frame']:.2f} s/frame, J&F {p['JF']:.3f}", flush=True)
    if len(phases) == 3 and phases[0]["frames_edited_pct"]:
        print(f"phase 3 / phase 1 (SAM 2 Table 1: 19% / 100% frames edited): frames edited "
              f"{phases[2]['frames_edited_pct'] / phases[0]['frames_edited_pct']:.2f}, clicks per masklet "
              f"{phases[2]['clicks_per_masklet'] / max(1e-9, phases[0]['clicks_per_masklet']):.2f}", flush=True)
    ours, anchor = rounds[-1]["val_JF"], doc["baseline"]["val_JF"]
    print(json.dumps({
        "bench": "engine", "ran": True, "data": str(data), "rounds": len(rounds),
        "ours_val_JF": ours, "anchor_val_JF": anchor, "ratio": round(ours / anchor, 3) if anchor else None,
        "copy_first_mask_JF": doc["baseline"]["copy_first_mask_JF"], "final_champion": rounds[-1]["champion"],
        "proposed": [r["proposed"] for r in rounds], "accepted": [r["accepted"] for r in rounds],
        "acceptance_rate": [r["acceptance_rate"] for r in rounds],
        "clicks_per_accepted": [r["clicks_per_accepted"] for r in rounds], "full": str(full.relative_to(ROOT)),
        "phases": [{k: p[k] for k in ("phase", "frames_edited_pct", "clicks_per_masklet", "seconds_per_frame", "JF")}
                   for p in phases],
        "wall_s": round(wall, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
