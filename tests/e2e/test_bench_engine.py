"""``maskloop bench engine`` end to end on a generated DAVIS-layout folder (surgical-like clips
from model/synthetic with their masks as palette PNGs), two rounds on the embedded defaults:
the JSON shape, the three annotation phases (``--phases``), disjoint unseen sequences per round,
the pinned held-out split, and the catalog's rounds, dataset versions and training runs behind
the figures."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from flows.cli.main import main
from model.synthetic.generator import generate_clip
from storage.catalog.videos import list_videos
from storage.masks.davis_png import write_davis_mask
from storage.versions.members import list_versions

NAMES = ["case-a", "case-b", "case-c", "case-d"]  # 2 rounds x 1 + 1 held out; case-c is not used
ROUND_KEYS = {"round", "proposed", "accepted", "acceptance_rate", "frames_edited_per_accepted",
              "clicks_per_accepted", "val_JF", "champion"}


def make_davis(root: Path) -> Path:
    for seed, name in enumerate(NAMES):
        clip = generate_clip(seed, n_frames=4, height=64, width=64, n_instruments=2)
        img = root / "JPEGImages" / "480p" / name
        ann = root / "Annotations" / "480p" / name
        img.mkdir(parents=True)
        ann.mkdir(parents=True)
        for t, (frame, ids) in enumerate(zip(clip.frames, clip.label_maps())):
            Image.fromarray(frame).save(img / f"{t:05d}.jpg", quality=95)
            write_davis_mask(ann / f"{t:05d}.png", ids)
    return root


def test_bench_engine_two_rounds_json_and_catalog(tmp_path: Path, capsys) -> None:
    data = make_davis(tmp_path / "davis")
    workdir = tmp_path / "bench"
    code = main(["bench", "engine", "--data", str(data), "--rounds", "2", "--videos-per-round", "1", "--val", "1",
                 "--workdir", str(workdir), "--stride", "1", "--width", "0", "--points-per-side", "4",
                 "--pred-iou-thresh", "0", "--stability-thresh", "0", "--max-masks", "2", "--train-steps", "2",
                 "--phases", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    doc = json.loads(out.out.strip().splitlines()[-1])
    rounds = doc["rounds"]
    assert [r["round"] for r in rounds] == [1, 2]
    for r in rounds:
        assert ROUND_KEYS <= set(r)
        assert 0.0 <= r["acceptance_rate"] <= 1.0 and 0.0 <= r["val_JF"] <= 1.0
        assert r["champion"].startswith("maskloop-sam2@")
        if r["accepted"]:
            assert r["clicks_per_accepted"] == round(r["clicks"] / r["accepted"], 4)
        else:
            assert r["clicks_per_accepted"] is None and r["candidate"] is None
    assert [r["sequences"] for r in rounds] == [["case-a"], ["case-b"]]  # unseen, in sorted order
    assert doc["val_sequences"] == ["case-d"]
    assert doc["baseline"]["champion"] == "maskloop-sam2@1" and 0.0 <= doc["baseline"]["val_JF"] <= 1.0
    assert 0.0 <= doc["baseline"]["copy_first_mask_JF"] <= 1.0
    assert doc["settings"]["pred_iou_thresh"] == 0.0 and doc["settings"]["train_origins"] == ["auto", "manual"]
    assert doc["frames"] == {"case-a": 4, "case-b": 4, "case-d": 4} and doc["size"] == [64, 64]
    assert Path(doc["report"]).is_file()
    # --phases: the three annotation phases on the two training videos, same annotator and target
    phases = doc["phases"]
    assert [p["phase"] for p in phases] == [1, 2, 3]
    for p in phases:
        assert p["object_frames"] == 2 * 4 * 2 and p["masklets"] == 4  # 2 videos x 4 frames x 2 objects
        assert p["J"] >= 0.8 and 0.0 <= p["frames_edited_pct"] <= 100.0 and p["seconds_per_frame"] > 0
    assert phases[0]["frames_edited_pct"] >= phases[1]["frames_edited_pct"]
    assert "Annotation phases" in Path(doc["report"]).read_text()

    from flows.cycle.workspace import open_workspace
    from flows.programs.engine_bench import DATASET, bench_settings
    from storage.catalog.model_aliases import training_runs
    from storage.catalog.rounds import list_rounds, round_videos
    from storage.catalog.splits import video_splits

    with open_workspace(bench_settings(workdir, "builtin:default")) as ws:
        rnds = list_rounds(ws.catalog, DATASET)
        assert [r.status for r in rnds] == ["closed", "closed"]
        assert [r.id for r in rnds] == [r["round_id"] for r in rounds]
        videos = {v.id: v for v in list_videos(ws.catalog, DATASET)}
        assert len(videos) == 3  # case-c was never imported
        splits = video_splits(ws.catalog, DATASET)
        assert sorted(splits.values()) == ["train", "train", "val"]
        assert [len(round_videos(ws.catalog, r.id)) for r in rnds] == [1, 1]
        assert not set(round_videos(ws.catalog, rnds[0].id)) & set(round_videos(ws.catalog, rnds[1].id))
        versions = list_versions(ws.catalog, DATASET)
        retrained = [r for r in rounds if r["accepted"]]
        # NAME@1 holds the imported ground truth; each round that accepted something adds one version
        assert sorted(versions["number"]) == list(range(1, 2 + len(retrained)))
        assert [r["dataset_version"] for r in retrained] == [f"{DATASET}@{n}" for n in range(2, 2 + len(retrained))]
        assert len(training_runs(ws.catalog)) == len(retrained)
        assert retrained, "the shipped weights on their own kind of video should get something accepted"
