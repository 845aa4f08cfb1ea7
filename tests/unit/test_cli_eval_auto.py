"""``maskloop eval --auto`` (automatic-masklet proposals on first frames) and the flat layout."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from flows.auto_evaluation import best_ious, recall_at
from flows.cli.main import main
from flows.errors import InvalidInputError
from flows.evaluation import ObjectSplit, read_sequence
from model.automask.config import AutoMaskConfig
from model.synthetic.generator import generate_clip
from storage.masks.davis_png import write_davis_mask

SIZE = 64


def make_clip(frame_dir: Path, mask_dir: Path, seed: int, n_frames: int = 2,
              binary: bool = False) -> np.ndarray:
    """Frames + masks of a generated clip; returns its label maps [T, H, W]."""
    clip = generate_clip(seed=seed, n_frames=n_frames, height=SIZE, width=SIZE, n_instruments=2)
    labels = clip.label_maps()
    frame_dir.mkdir(parents=True)
    mask_dir.mkdir(parents=True)
    for t in range(n_frames):
        Image.fromarray(clip.frames[t]).save(frame_dir / f"{t:05d}.jpg")
        if binary:  # DAVIS 2016 style: one object, 0/255 grayscale
            Image.fromarray(np.where(labels[t] > 0, 255, 0).astype(np.uint8), mode="L").save(
                mask_dir / f"{t:05d}.png")
        else:
            write_davis_mask(mask_dir / f"{t:05d}.png", labels[t])
    return labels


def make_davis(root: Path, names: list[str],
               binary: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
    images, masks = root / "JPEGImages" / "480p", root / "Annotations" / "480p"
    return {name: make_clip(images / name, masks / name, seed=k, binary=name in binary)
            for k, name in enumerate(names)}


def cli(tmp_path: Path, *args: str) -> int:
    return main(["--home", str(tmp_path / "h"), "eval", *args])


def last_json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


# -- scoring -----------------------------------------------------------------------------------

def test_proposals_equal_to_the_objects_score_one() -> None:
    ids = np.zeros((8, 8), np.uint8)
    ids[:4, :4] = 1
    ids[5:, 5:] = 7
    masks = np.stack([ids == 7, ids == 1])
    best = best_ious(masks, ids)
    assert best == {1: 1.0, 7: 1.0}
    assert recall_at([best]) == 1.0


def test_no_proposals_score_zero() -> None:
    ids = np.zeros((8, 8), np.uint8)
    ids[2:6, 2:6] = 3
    best = best_ious(np.zeros((0, 8, 8), bool), ids)
    assert best == {3: 0.0}
    assert recall_at([best]) == 0.0


def test_best_iou_is_the_max_over_proposals_and_recall_counts_objects() -> None:
    ids = np.zeros((4, 8), np.uint8)
    ids[:, :4] = 1                    # 16 pixels
    ids[:, 4:] = 2                    # 16 pixels
    half = np.zeros((4, 8), bool)
    half[:2, :4] = True               # 8 of object 1: IoU 0.5 (counts: >= 0.5)
    wide = np.zeros((4, 8), bool)
    wide[:, 2:8] = True               # object 1: 8 of union 32; object 2: all 16 of union 24
    best = best_ious(np.stack([half, wide]), ids)
    assert best[1] == pytest.approx(0.5)
    assert best[2] == pytest.approx(16 / 24)
    assert recall_at([best]) == 1.0
    assert recall_at([{1: 0.49, 2: 0.9}, {1: 0.5}, {}]) == pytest.approx(2 / 3)
    assert recall_at([{}, {}]) is None  # no ground-truth object on any first frame
    assert best_ious(np.stack([half]), np.zeros((4, 8), np.uint8)) == {}


def test_mismatched_proposals_are_rejected() -> None:
    with pytest.raises(InvalidInputError, match="do not match"):
        best_ious(np.zeros((2, 4, 4), bool), np.zeros((4, 5), np.uint8))


# -- the command -------------------------------------------------------------------------------

def test_auto_json_shape_with_the_real_generator(tmp_path: Path, capsys) -> None:
    make_davis(tmp_path / "d", ["aa", "bb"])
    assert cli(tmp_path, "--data", str(tmp_path / "d"), "--auto", "--json",
               "--model", "builtin:tiny-cpu", "--points-per-side", "4") == 0
    out = last_json(capsys)
    assert set(out) == {"auto"}
    auto = out["auto"]
    assert set(auto) == {"sequences", "recall_at_50", "mean_proposals", "seconds_per_frame"}
    assert set(auto["sequences"]) == {"aa", "bb"}
    ious = []
    for row in auto["sequences"].values():
        assert set(row) == {"proposals", "best_iou"}
        assert isinstance(row["proposals"], int) and row["proposals"] >= 0
        assert row["best_iou"] and all(k.isdigit() for k in row["best_iou"])
        assert all(0.0 <= v <= 1.0 for v in row["best_iou"].values())
        ious.extend(row["best_iou"].values())
    assert auto["recall_at_50"] == pytest.approx(sum(v >= 0.5 for v in ious) / len(ious))
    proposals = [r["proposals"] for r in auto["sequences"].values()]
    assert auto["mean_proposals"] == pytest.approx(np.mean(proposals))
    assert auto["seconds_per_frame"] > 0.0


def _fake_generator(gt: dict[str, np.ndarray], calls: list):
    """frame_masks stand-in: proposes object 1 exactly and a 4x4 square, per sequence in order."""
    queue = [gt[name][0] for name in sorted(gt)]

    def fake(network, frame, cfg, device):
        calls.append(cfg)
        ids = queue.pop(0)
        assert frame.shape == (SIZE, SIZE, 3) and frame.dtype == np.uint8
        square = np.zeros((SIZE, SIZE), bool)
        square[:4, :4] = True
        return SimpleNamespace(masks=np.stack([ids == 1, square]), pred_iou=np.array([0.9, 0.8]))
    return fake


def test_auto_scores_what_the_generator_proposes(tmp_path: Path, capsys, monkeypatch) -> None:
    gt = make_davis(tmp_path / "d", ["aa", "bb"], binary=("bb",))
    calls: list = []
    monkeypatch.setattr("model.automask.frame_masks.frame_masks", _fake_generator(gt, calls))
    assert cli(tmp_path, "--data", str(tmp_path / "d"), "--auto", "--json",
               "--model", "builtin:tiny-cpu") == 0
    auto = last_json(capsys)["auto"]
    assert calls == [AutoMaskConfig(), AutoMaskConfig()]  # the generator's own defaults
    aa, bb = auto["sequences"]["aa"], auto["sequences"]["bb"]
    assert aa["proposals"] == bb["proposals"] == 2 and auto["mean_proposals"] == 2.0
    ids_aa = gt["aa"][0]
    assert set(aa["best_iou"]) == {str(v) for v in np.unique(ids_aa) if v} == {"1", "2"}
    assert aa["best_iou"]["1"] == 1.0 and aa["best_iou"]["2"] < 0.5
    # a 0/255 mask is one object, id 1: the union of the clip's objects
    assert set(bb["best_iou"]) == {"1"}
    union = gt["bb"][0] > 0
    expected = (gt["bb"][0] == 1).sum() / union.sum()
    assert bb["best_iou"]["1"] == pytest.approx(expected)
    found = 1 + (expected >= 0.5)
    assert auto["recall_at_50"] == pytest.approx(found / 3)


def test_auto_table_and_points_override(tmp_path: Path, capsys, monkeypatch) -> None:
    gt = make_davis(tmp_path / "d", ["aa", "bb"])
    calls: list = []
    fake = _fake_generator({"aa": gt["aa"]}, calls)
    monkeypatch.setattr("model.automask.frame_masks.frame_masks", fake)
    assert cli(tmp_path, "--data", str(tmp_path / "d"), "--auto", "--sequences", "aa",
               "--model", "builtin:tiny-cpu", "--points-per-side", "8") == 0
    assert [c.points_per_layer for c in calls] == [(8,)]
    assert calls[0].pred_iou_thresh == AutoMaskConfig().pred_iou_thresh
    text = capsys.readouterr().out
    assert "aa" in text and "bb" not in text and "best IoU per object" in text
    assert "1: 1.000" in text and "recall@0.5 0.500 over 2 objects" in text


def test_bad_inputs_give_one_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "plain" / "stuff").mkdir(parents=True)
    assert cli(tmp_path, "--data", str(tmp_path / "plain"), "--auto",
               "--model", "builtin:tiny-cpu") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "is not a dataset" in err[0]
    make_davis(tmp_path / "d", ["aa"])
    (tmp_path / "d" / "JPEGImages" / "480p" / "empty").mkdir()
    (tmp_path / "d" / "Annotations" / "480p" / "empty").mkdir()
    for extra in ((), ("--auto",)):
        assert cli(tmp_path, "--data", str(tmp_path / "d"), "--sequences", "empty", "--model",
                   "builtin:tiny-cpu", *extra) == 2
        err = capsys.readouterr().err.strip().splitlines()
        empty_dir = tmp_path / "d" / "JPEGImages" / "480p" / "empty"
        assert err == [f"error: sequence empty has no frames (*.jpg, *.png) in {empty_dir}"]
    assert cli(tmp_path, "--data", str(tmp_path / "d"), "--points-per-side", "4",
               "--model", "builtin:tiny-cpu") == 2
    assert "--points-per-side applies to --auto only" in capsys.readouterr().err
    assert cli(tmp_path, "--data", str(tmp_path / "d"), "--split-object", "two@5",
               "--model", "builtin:tiny-cpu") == 2
    assert "bad object split" in capsys.readouterr().err


# -- flat layout (frames/ + masks/, one sequence) and object splits ---------------------------

def make_flat(root: Path, n_frames: int = 3) -> np.ndarray:
    return make_clip(root / "frames", root / "masks", seed=3, n_frames=n_frames)


def test_flat_folder_is_one_sequence(tmp_path: Path, capsys) -> None:
    make_flat(tmp_path / "clip", n_frames=2)
    assert cli(tmp_path, "--data", str(tmp_path / "clip"), "--auto", "--json",
               "--model", "builtin:tiny-cpu", "--points-per-side", "2") == 0
    assert set(last_json(capsys)["auto"]["sequences"]) == {"clip"}
    assert cli(tmp_path, "--data", str(tmp_path / "clip"), "--sequences", "other",
               "--model", "builtin:tiny-cpu") == 3


def test_split_object_makes_a_new_id_from_a_frame_on(tmp_path: Path, capsys) -> None:
    labels = make_flat(tmp_path / "clip")
    _, plain = read_sequence(tmp_path / "clip", "clip")
    _, split = read_sequence(tmp_path / "clip", "clip", splits=[ObjectSplit.parse("2@00001")])
    np.testing.assert_array_equal(plain, labels)
    new_id = int(labels.max()) + 1
    np.testing.assert_array_equal(split[0], labels[0])
    for t in (1, 2):
        np.testing.assert_array_equal(split[t] == new_id, labels[t] == 2)
        assert not (split[t] == 2).any()
    frames, first = read_sequence(tmp_path / "clip", "clip", first_only=True,
                                  splits=[ObjectSplit.parse("2@00001")])
    assert len(frames) == 1 and first.shape == (1, SIZE, SIZE)
    np.testing.assert_array_equal(first[0], labels[0])
    with pytest.raises(InvalidInputError, match="no frame 00009"):
        read_sequence(tmp_path / "clip", "clip", splits=[ObjectSplit(2, "00009")])
    with pytest.raises(InvalidInputError, match="after the first"):
        read_sequence(tmp_path / "clip", "clip", splits=[ObjectSplit(2, "00000")])
    with pytest.raises(InvalidInputError, match="object 9 is not on frame 1"):
        read_sequence(tmp_path / "clip", "clip", splits=[ObjectSplit(9, "00001")])
    # the flat folder evaluates as one sequence; the split object is prompted where it first
    # appears (frame 1) and scored after it
    assert cli(tmp_path, "--data", str(tmp_path / "clip"), "--split-object", "2@00001", "--json",
               "--model", "builtin:tiny-cpu") == 0
    out = last_json(capsys)
    assert set(out["sequences"]) == {"clip"}
    assert 0.0 <= out["mean"]["JF"] <= 1.0


def test_every_frame_scores_each_frame_as_its_own_row(tmp_path: Path, capsys, monkeypatch) -> None:
    gt = make_davis(tmp_path / "d", ["aa"])
    seen: list[np.ndarray] = []

    def fake(network, frame, cfg, device):  # proposes object 1 of the frame it is given
        ids = gt["aa"][len(seen)]
        seen.append(frame)
        return SimpleNamespace(masks=(ids == 1)[None], pred_iou=np.array([0.9]))

    monkeypatch.setattr("model.automask.frame_masks.frame_masks", fake)
    assert cli(tmp_path, "--data", str(tmp_path / "d"), "--auto", "--every-frame", "--json",
               "--model", "builtin:tiny-cpu") == 0
    auto = last_json(capsys)["auto"]
    assert len(seen) == 2 and not np.array_equal(seen[0], seen[1])
    assert set(auto["sequences"]) == {"aa@0", "aa@1"}
    for k in (0, 1):
        row = auto["sequences"][f"aa@{k}"]
        assert row["proposals"] == 1 and row["best_iou"]["1"] == 1.0 and row["best_iou"]["2"] == 0.0
    assert auto["recall_at_50"] == pytest.approx(0.5)


def test_every_frame_needs_auto(tmp_path: Path, capsys) -> None:
    make_davis(tmp_path / "d", ["aa"])
    assert cli(tmp_path, "--data", str(tmp_path / "d"), "--every-frame",
               "--model", "builtin:tiny-cpu") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--every-frame applies to --auto only" in err[0]
