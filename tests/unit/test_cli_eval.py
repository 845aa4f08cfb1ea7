"""``maskloop eval`` on a generated DAVIS-layout folder (random tiny-cpu network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from flows.cli.main import main
from model.synthetic.generator import generate_clip
from storage.masks.davis_png import write_davis_mask


def make_davis(root: Path, names: list[str], late_object: bool = False) -> None:
    for k, name in enumerate(names):
        clip = generate_clip(seed=k, n_frames=3, height=48, width=64, n_instruments=2)
        labels = clip.label_maps()
        if late_object:
            labels[0][labels[0] == 2] = 0  # object 2 first appears on frame 1
        img = root / "JPEGImages" / "480p" / name
        ann = root / "Annotations" / "480p" / name
        img.mkdir(parents=True)
        ann.mkdir(parents=True)
        for t in range(3):
            Image.fromarray(clip.frames[t]).save(img / f"{t:05d}.jpg")
            write_davis_mask(ann / f"{t:05d}.png", labels[t])


def test_eval_json_shape(tmp_path: Path, capsys) -> None:
    make_davis(tmp_path / "d", ["aa", "bb"], late_object=True)
    code = main(["--home", str(tmp_path / "h"), "eval", "--data", str(tmp_path / "d"), "--sequences", "bb",
                 "--model", "builtin:tiny-cpu", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(out) == {"model", "mean", "baseline", "sequences"}
    assert out["model"] == "builtin:tiny-cpu"
    assert set(out["sequences"]) == {"bb"}
    assert set(out["sequences"]["bb"]) == {"J", "F", "JF", "baseline_JF"}
    assert set(out["mean"]) == {"J", "F", "JF"} and set(out["baseline"]["mean"]) == {"J", "F", "JF"}
    for value in [*out["mean"].values(), *out["baseline"]["mean"].values(), *out["sequences"]["bb"].values()]:
        assert 0.0 <= value <= 1.0
    assert out["mean"]["JF"] == pytest.approx((out["mean"]["J"] + out["mean"]["F"]) / 2)


def test_eval_table(tmp_path: Path, capsys) -> None:
    make_davis(tmp_path / "d", ["aa"])
    assert main(["--home", str(tmp_path / "h"), "eval", "--data", str(tmp_path / "d"),
                 "--model", "builtin:tiny-cpu"]) == 0
    text = capsys.readouterr().out
    assert "aa" in text and "baseline J&F" in text and "mean" in text


def test_eval_errors(tmp_path: Path, capsys) -> None:
    assert main(["--home", str(tmp_path / "h"), "eval", "--data", str(tmp_path / "none"),
                 "--model", "builtin:tiny-cpu"]) == 3
    assert capsys.readouterr().err.startswith("error: no such folder")
    make_davis(tmp_path / "d", ["aa"])
    assert main(["--home", str(tmp_path / "h"), "eval", "--data", str(tmp_path / "d"), "--sequences", "zz",
                 "--model", "builtin:tiny-cpu"]) == 3
    assert main(["--home", str(tmp_path / "h"), "eval", "--data", str(tmp_path / "d"),
                 "--model", "builtin:nope"]) == 3
    assert "unknown builtin model" in capsys.readouterr().err
