"""Run every benchmark in bench/ and write one summary table.

Each ``bench/bench_*.py`` prints, as its last line, one JSON object with its figures (ours, the
anchor measured in the same run, their ratio). This script runs them one after the other (never in
parallel: they measure speed), collects those objects and writes ``bench/results/summary.md`` and
``bench/results/summary.json``.

Usage: ``python bench/run_all.py [--only NAME ...] [--quick]`` (``--quick`` is passed through to
benchmarks that accept it, for smaller sizes).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results"


def run_one(path: Path, *, quick: bool) -> dict:
    """Run one benchmark script; return its last-line JSON plus wall time (s) and exit status."""
    cmd = [sys.executable, str(path)] + (["--quick"] if quick else [])
    start = time.perf_counter()
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True,
                          cwd=BENCH_DIR.parent)
    wall = time.perf_counter() - start
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.strip()]
    result: dict = {"script": path.name, "exit": proc.returncode, "wall_s": round(wall, 1)}
    try:
        figures = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        result["error"] = (proc.stderr.strip().splitlines() or ["no JSON result line"])[-1]
        return result
    # a benchmark's own figure of the same name (e.g. a round's wall_s) must not replace the script's
    result.update({(f"{path.stem.removeprefix('bench_')}_{k}" if k in result else k): v for k, v in figures.items()})
    return result


def to_markdown(rows: list[dict]) -> str:
    """One table row per benchmark: its name and every figure it reported."""
    out = ["| benchmark | exit | wall s | figures |", "|---|---|---|---|"]
    for row in rows:
        figures = ", ".join(
            f"{k}={v}" for k, v in row.items() if k not in ("script", "exit", "wall_s", "bench")
        )
        out.append(f"| {row.get('bench', row['script'])} | {row['exit']} | {row['wall_s']} | {figures} |")
    return "\n".join(out) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None, help="benchmark names (e.g. bench_ingest)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes where supported")
    args = parser.parse_args()
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if args.only:
        scripts = [s for s in scripts if s.stem in set(args.only)]
    rows = []
    for script in scripts:
        print(f"running {script.name} ...", flush=True)
        rows.append(run_one(script, quick=args.quick))
        print(json.dumps(rows[-1]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    table = to_markdown(rows)
    (RESULTS / "summary.md").write_text(table)
    (RESULTS / "summary.json").write_text(json.dumps(rows, indent=2))
    print(table)
    return 0 if all(r["exit"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
