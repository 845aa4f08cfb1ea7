"""``maskloop masklet add`` on the real stack (PostgreSQL catalog, SeaweedFS objects).

A generated clip is ingested with its ground truth, ``builtin:default`` registered as the champion
and a round created. One object's ground-truth mask on a middle frame, saved as a PNG, is added
from the CLI: a manual masklet in review in the round, created by the CLI's actor, tracked by the
model onto frames before and after the drawn one, its blob in the bucket. The same command again
creates nothing. Bad inputs (unknown video, wrong mask size, frame out of range, closed round,
corrupt PNG) each give one error line and a nonzero exit code, and store nothing.
Run: MASKLOOP_TEST_SERVICES=postgres,s3 pytest tests/func/cycle/test_masklet_add_stack.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from PIL import Image

from flows.cli.main import main
from flows.cycle.config import CycleConfig
from flows.cycle.create_round import plan_round
from flows.cycle.ingest import ingest_one
from flows.cycle.media import masklet_masks
from flows.cycle.workspace import open_workspace
from flows.programs.demo_data import make_demo_videos
from flows.settings import load_settings
from storage.catalog.catalog import Catalog
from storage.catalog.masklets import list_masklets
from storage.catalog.registry import register_model
from storage.catalog.rounds import create_round, round_masklets, set_round_status
from storage.catalog.videos import get_video

SIZE, FRAMES, DRAWN = 96, 8, 3
ACTOR = "alice"


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: int(conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one())
                    for t in ("masklet", "masklet_revision", "review", "annotation_round", "audit_event")}
    finally:
        engine.dispose()


def test_masklet_add_from_the_cli(stack, pg_url, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
                                  capsys: pytest.CaptureFixture[str]) -> None:
    env = {k: v for k, v in stack.env.items() if k.startswith("MASKLOOP_")}
    env.update({"MASKLOOP_DATABASE_URL": pg_url, "MASKLOOP_HOME": str(tmp_path / "home"),
                "MASKLOOP_STACK_DIR": str(tmp_path / "nostack"), "MASKLOOP_ACTOR": ACTOR,
                "MASKLOOP_ROLE": "data_manager", "MASKLOOP_DEVICE": "cpu"})
    for key in [k for k in env if k.startswith(("MASKLOOP_PREFECT", "MASKLOOP_LABEL_STUDIO", "MASKLOOP_MLFLOW"))]:
        del env[key]  # this test needs PostgreSQL and S3 only
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MASKLOOP_PREFECT_API_URL", raising=False)
    Catalog.open(pg_url, auto_upgrade=True).close()
    settings = load_settings()
    assert settings.uses_s3 and settings.catalog_url == pg_url

    demo = make_demo_videos(tmp_path / "videos", n_train=1, n_val=0, n_frames=FRAMES, size=SIZE)[0]
    with open_workspace(settings) as ws:
        video_id = ingest_one(ws, demo.item(), dataset="adds").video_id
        video = get_video(ws.catalog, video_id)
        model_id, _ = register_model(ws.catalog, name=CycleConfig().model_name, backend="sam2", uri="builtin:default",
                                     aliases=("champion",), **ws.who)
        round_id = plan_round(ws, dataset="adds", n_videos=1, cfg=CycleConfig()).round_id
        closed = create_round(ws.catalog, dataset="adds", model_version_id=model_id, **ws.who)
        set_round_status(ws.catalog, closed, "closed", **ws.who)
        gt = list_masklets(ws.catalog, video_id=video_id, origin="ground_truth")
        objects = [masklet_masks(ws.store, r.blob_key, video.n_frames) for r in gt.itertuples()]
    target = max(objects, key=lambda m: int(m[DRAWN].sum()))
    png = tmp_path / "missed.png"
    Image.fromarray(target[DRAWN].astype(np.uint8) * 255).save(png)

    def cli(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["masklet", "add", *args])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    base = ["--video", str(video_id), "--frame", str(DRAWN), "--mask", str(png)]
    code, out, err = cli(*base)
    assert code == 0, err
    shown = [f"add: exit {code}: {out.strip()}"]
    mid = int(out.split()[1])
    with open_workspace(settings) as ws:
        rows = round_masklets(ws.catalog, round_id)
        row = rows[rows["masklet_id"] == mid].iloc[0]
        assert (row["origin"], row["status"], row["created_by"]) == ("manual", "in_review", ACTOR)
        assert int(row["frame_start"]) < DRAWN < int(row["frame_end"])  # propagated both ways
        tracked = masklet_masks(ws.store, row["blob_key"], video.n_frames)
        assert (tracked[DRAWN] == target[DRAWN]).all()
        assert ws.store.exists(row["blob_key"])
    assert out.strip() == (f"masklet {mid} added to round {round_id} (video {video_id}, frames "
                           f"{int(row['frame_start'])}-{int(row['frame_end'])}, in review): "
                           f"review it with maskloop review open {round_id}")
    before = _counts(pg_url)
    with open_workspace(settings) as ws:
        keys = set(ws.store.list_keys(""))

    code, out, err = cli(*base, "--round", str(round_id))  # again: the first masklet, nothing new
    assert code == 0, err
    shown.append(f"again: exit {code}: {out.strip()}")
    assert out.startswith(f"masklet {mid} was already added to round {round_id}")
    code, out, _ = cli(*base, "--json")
    assert code == 0 and json.loads(out)["masklet_id"] == mid and json.loads(out)["created"] is False
    assert _counts(pg_url) == before
    with open_workspace(settings) as ws:
        assert set(ws.store.list_keys("")) == keys

    wrong = tmp_path / "wrong.png"
    Image.fromarray(np.pad(target[DRAWN], ((0, 4), (0, 0))).astype(np.uint8) * 255).save(wrong)
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    bad = {
        "unknown video": (["--video", "999999", "--frame", "0", "--mask", str(png)], 3, "video 999999 not found"),
        "wrong mask size": ([*base[:4], "--mask", str(wrong)], 2,
                            f"the mask is {SIZE + 4}x{SIZE} (height x width) but video {video_id} is {SIZE}x{SIZE}"),
        "frame out of range": ([*base[:2], "--frame", str(FRAMES), "--mask", str(png)], 2,
                               f"frame {FRAMES} is outside video {video_id}, whose frames are 0-{FRAMES - 1}"),
        "closed round": ([*base, "--round", str(closed)], 4, f"round {closed} is closed"),
        "corrupt png": ([*base[:4], "--mask", str(corrupt)], 2, "mask file corrupt.png is not a readable PNG image"),
    }
    for name, (args, exit_code, fragment) in bad.items():
        code, out, err = cli(*args)
        shown.append(f"{name}: exit {code}: {err.strip()}")
        assert code == exit_code, (name, code, err)
        assert out == "" and err.count("\n") == 1 and err.startswith("error: ") and fragment in err, (name, err)
        assert _counts(pg_url) == before, name
    with open_workspace(settings) as ws:
        assert set(ws.store.list_keys("")) == keys
    with capsys.disabled():  # what a person sees, for the test log
        print("\n" + "\n".join(shown))
