"""bench/run_all.py (what `make bench` runs): collects each benchmark's last-line JSON into one table."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run_all():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_run_all", ROOT / "bench" / "run_all.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_benchmarks_own_wall_time_is_kept_beside_the_scripts(tmp_path: Path) -> None:
    script = tmp_path / "bench_fake.py"
    script.write_text('print("progress")\nimport json; print(json.dumps({"bench": "fake", "wall_s": 42.5, "ratio": 0.9}))\n')
    row = _run_all().run_one(script, quick=False)
    assert row["exit"] == 0 and row["bench"] == "fake" and row["ratio"] == 0.9
    assert row["fake_wall_s"] == 42.5 and row["wall_s"] != 42.5  # the script's own time, measured here
    table = _run_all().to_markdown([row])
    assert "| fake | 0 |" in table and "fake_wall_s=42.5" in table


def test_a_benchmark_without_a_json_line_is_reported_with_its_error(tmp_path: Path) -> None:
    script = tmp_path / "bench_broken.py"
    script.write_text('import sys\nprint("no json here")\nsys.exit("error: the data is missing")\n')
    row = _run_all().run_one(script, quick=False)
    assert row["exit"] == 1 and row["error"] == "error: the data is missing"
    assert json.loads(json.dumps(row)) == row
