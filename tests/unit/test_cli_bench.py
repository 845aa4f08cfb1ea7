"""``maskloop bench engine`` refuses bad input with one ``error:`` line and an exit code, before
any work (no Prefect, no model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from flows.cli.main import main
from storage.masks.davis_png import write_davis_mask


def _davis(root: Path, names: list[str], *, with_gt: bool = True) -> Path:
    for name in names:
        img = root / "JPEGImages" / "480p" / name
        img.mkdir(parents=True)
        Image.fromarray(np.zeros((32, 48, 3), np.uint8)).save(img / "00000.jpg")
        if with_gt:
            ann = root / "Annotations" / "480p" / name
            ann.mkdir(parents=True)
            write_davis_mask(ann / "00000.png", np.ones((32, 48), np.uint8))
    return root


def _run(tmp_path: Path, data: Path, *extra: str) -> int:
    return main(["--home", str(tmp_path / "h"), "bench", "engine", "--data", str(data),
                 "--workdir", str(tmp_path / "w"), *extra])


def test_missing_folder_and_non_davis_root(tmp_path: Path, capsys) -> None:
    assert _run(tmp_path, tmp_path / "nope") == 3
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"error: no such folder: {tmp_path / 'nope'}"
    (tmp_path / "plain").mkdir()
    assert _run(tmp_path, tmp_path / "plain") == 2
    assert "is not a DAVIS root" in capsys.readouterr().err.strip().splitlines()[-1]


def test_too_few_sequences_names_what_is_needed(tmp_path: Path, capsys) -> None:
    data = _davis(tmp_path / "d", ["aa", "bb", "cc"])
    assert _run(tmp_path, data, "--rounds", "2", "--videos-per-round", "1", "--val", "2") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and "has 3 sequences" in err[-1] and "need 4" in err[-1]
    assert not (tmp_path / "w" / "home").exists()


def test_sequences_without_ground_truth_are_refused(tmp_path: Path, capsys) -> None:
    data = _davis(tmp_path / "d", ["aa", "bb", "cc"], with_gt=False)
    assert _run(tmp_path, data, "--rounds", "1", "--videos-per-round", "1", "--val", "1") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: ") and "has no ground truth for sequence aa" in err[-1]
    assert not (tmp_path / "w").exists()


def test_usage_mistakes_are_typer_errors(tmp_path: Path) -> None:
    data = _davis(tmp_path / "d", ["aa", "bb"])
    assert _run(tmp_path, data, "--rounds", "0") == 2
    assert _run(tmp_path, data, "--pred-iou-thresh", "1.5") == 2


def test_bench_wrapper_says_it_did_not_run_without_data(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "DAVIS_ROOT"}
    for args, reason in (([], "pass --data DAVIS_ROOT or set DAVIS_ROOT"),
                         (["--data", str(tmp_path / "none")], "is not a folder")):
        proc = subprocess.run([sys.executable, str(root / "bench" / "bench_engine.py"), *args], env=env,
                              capture_output=True, text=True, check=True)
        lines = proc.stdout.strip().splitlines()
        assert lines[0].startswith("bench_engine: NOT RUN")
        doc = json.loads(lines[-1])
        assert doc["ran"] is False and reason in doc["reason"] and "ours_val_JF" not in doc


def test_a_workdir_holding_foreign_folders_or_the_data_is_refused(tmp_path: Path, capsys) -> None:
    data = _davis(tmp_path / "w" / "davis", ["aa", "bb"])
    assert _run(tmp_path, data, "--rounds", "1", "--videos-per-round", "1", "--val", "1") == 2
    assert "would overwrite the data" in capsys.readouterr().err
    other = _davis(tmp_path / "d", ["aa", "bb"])
    assert _run(tmp_path, other, "--rounds", "1", "--videos-per-round", "1", "--val", "1") == 4
    assert "was not written by `maskloop bench engine`" in capsys.readouterr().err
    assert (data / "JPEGImages" / "480p" / "aa" / "00000.jpg").is_file()
