"""Adding an object the model missed (flows/cycle/add_object.py, ``maskloop masklet add``) on the
embedded catalog: input checks with their one-line messages, the choice of round, the manual
masklet in review (the same drawing twice is one masklet), and the CLI's output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from cycle_helpers import DATASET, TEST_CONFIG, register_builtin
from PIL import Image

from flows.cli.main import main
from flows.cycle.add_object import add_object, check_drawing, pick_round
from flows.cycle.create_round import plan_round
from flows.cycle.drawn_objects import drawing_key
from flows.errors import ConflictError, InvalidInputError, NotFoundError
from storage.catalog.masklets import list_masklets
from storage.catalog.rounds import create_round, round_masklets, set_round_status
from storage.catalog.videos import ensure_dataset, list_videos
from storage.records import VideoRef

VIDEO = VideoRef(id=4, dataset="ds", sha256="0" * 64, n_frames=32, width=80, height=60, fps=6.0)


def _box(h: int = 60, w: int = 80) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    mask[10:30, 20:40] = 255
    return mask


def test_drawing_checks_say_what_is_wrong() -> None:
    assert check_drawing(VIDEO, 31, _box()).mask.dtype == bool
    with pytest.raises(InvalidInputError, match=r"frame 32 is outside video 4, whose frames are 0-31"):
        check_drawing(VIDEO, 32, _box())
    with pytest.raises(InvalidInputError, match=r"frame -1 is outside"):
        check_drawing(VIDEO, -1, _box())
    with pytest.raises(InvalidInputError, match=r"the mask is 61x80 \(height x width\) but video 4 is 60x80"):
        check_drawing(VIDEO, 0, _box(61, 80))
    with pytest.raises(InvalidInputError, match=r"must be 2-D"):
        check_drawing(VIDEO, 0, np.zeros((60, 80, 3), np.uint8))
    with pytest.raises(InvalidInputError, match=r"the mask is empty"):
        check_drawing(VIDEO, 0, np.zeros((60, 80), np.uint8))


def test_drawing_key_is_deterministic_per_video_frame_mask_round() -> None:
    key = drawing_key(video_id=4, frame=3, mask=_box() > 0, round_id=2)
    assert len(key) == 64 and key == drawing_key(video_id=4, frame=3, mask=_box().astype(bool), round_id=2)
    other = _box()
    other[0, 0] = 1
    assert len({key, drawing_key(video_id=4, frame=3, mask=other > 0, round_id=2),
                drawing_key(video_id=4, frame=4, mask=_box() > 0, round_id=2),
                drawing_key(video_id=4, frame=3, mask=_box() > 0, round_id=3),
                drawing_key(video_id=5, frame=3, mask=_box() > 0, round_id=2)}) == 5


def test_round_choice(cycle_ws) -> None:
    video = list_videos(cycle_ws.catalog, DATASET)[0]
    with pytest.raises(NotFoundError, match="has no open round"):
        pick_round(cycle_ws, video, None)
    register_builtin(cycle_ws)
    first = plan_round(cycle_ws, dataset=DATASET, n_videos=1, cfg=TEST_CONFIG).round_id
    assert pick_round(cycle_ws, video, None).id == first
    second = create_round(cycle_ws.catalog, dataset=DATASET, **cycle_ws.who)
    with pytest.raises(InvalidInputError, match=rf"has 2 open rounds \({first}, {second}\); say which with --round R"):
        pick_round(cycle_ws, video, None)
    set_round_status(cycle_ws.catalog, second, "closed", **cycle_ws.who)
    with pytest.raises(ConflictError, match=f"round {second} is closed"):
        pick_round(cycle_ws, video, second)
    assert pick_round(cycle_ws, video, None).id == first
    ensure_dataset(cycle_ws.catalog, "other", **cycle_ws.who)
    elsewhere = create_round(cycle_ws.catalog, dataset="other", **cycle_ws.who)
    with pytest.raises(InvalidInputError, match=f"round {elsewhere} annotates dataset 'other'"):
        pick_round(cycle_ws, video, elsewhere)
    with pytest.raises(Exception, match="annotation round 999 not found"):
        pick_round(cycle_ws, video, 999)


def _object_mask(ws, video: VideoRef, frame: int) -> np.ndarray:
    from flows.cycle.media import masklet_masks

    gt = list_masklets(ws.catalog, video_id=video.id, origin="ground_truth")
    masks = [masklet_masks(ws.store, r.blob_key, video.n_frames)[frame] for r in gt.itertuples()]
    return max(masks, key=lambda m: int(m.sum()))


def test_add_object_registers_one_manual_masklet_in_review(cycle_ws) -> None:
    register_builtin(cycle_ws)
    round_id = plan_round(cycle_ws, dataset=DATASET, n_videos=1, cfg=TEST_CONFIG).round_id
    video = list_videos(cycle_ws.catalog, DATASET)[0]
    mask = _object_mask(cycle_ws, video, 1)
    added = add_object(cycle_ws, video_id=video.id, frame=1, mask=mask)
    assert added.created and added.round_id == round_id and added.status == "in_review" and 1 in added.frames
    rows = round_masklets(cycle_ws.catalog, round_id)
    row = rows[rows["masklet_id"] == added.masklet_id].iloc[0]
    assert row["origin"] == "manual" and row["status"] == "in_review" and row["created_by"] == "tester"
    again = add_object(cycle_ws, video_id=video.id, frame=1, mask=mask.astype(np.uint8) * 7, round_id=round_id)
    assert not again.created and again.masklet_id == added.masklet_id and again.frames == added.frames
    assert len(round_masklets(cycle_ws.catalog, round_id)) == len(rows)


def test_cli_add_prints_the_masklet_and_is_idempotent(cycle_ws, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    s = cycle_ws.settings
    for key, value in {"MASKLOOP_HOME": str(s.home), "MASKLOOP_STACK_DIR": str(tmp_path / "nostack"),
                       "MASKLOOP_ACTOR": "tester", "MASKLOOP_DEVICE": "cpu",
                       "MASKLOOP_DEFAULT_MODEL": "builtin:tiny-cpu"}.items():
        monkeypatch.setenv(key, value)
    for key in ("MASKLOOP_DATABASE_URL", "MASKLOOP_S3_ENDPOINT", "MASKLOOP_PREFECT_API_URL"):
        monkeypatch.delenv(key, raising=False)
    register_builtin(cycle_ws)
    round_id = plan_round(cycle_ws, dataset=DATASET, n_videos=1, cfg=TEST_CONFIG).round_id
    video = list_videos(cycle_ws.catalog, DATASET)[0]
    png = tmp_path / "object.png"
    Image.fromarray(_object_mask(cycle_ws, video, 0).astype(np.uint8) * 255).save(png)
    args = ["masklet", "add", "--video", str(video.id), "--frame", "0", "--mask", str(png)]
    capsys.readouterr()
    assert main(args) == 0
    out = capsys.readouterr().out.strip()
    mid = int(out.split()[1])
    assert out.startswith(f"masklet {mid} added to round {round_id} (video {video.id}, frame")
    assert out.endswith(f"in review): review it with maskloop review open {round_id}")
    assert main([*args, "--round", str(round_id), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["masklet_id"] == mid and again["created"] is False and again["round_id"] == round_id
    assert 0 in again["frames"] and again["status"] == "in_review"
    assert len(round_masklets(cycle_ws.catalog, round_id)) == 1
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"garbage")
    assert main(["masklet", "add", "--video", str(video.id), "--frame", "0", "--mask", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err == "error: mask file bad.png is not a readable PNG image\n"


def test_cli_line_says_how_to_review_it() -> None:
    from flows.cli.masklet_cmd import describe
    from flows.cycle.add_object import AddedObject

    added = AddedObject(masklet_id=17, round_id=3, video_id=4, frame=5, frames=tuple(range(32)), status="in_review",
                        created=True, review_open=False)
    assert describe(added) == ("masklet 17 added to round 3 (video 4, frames 0-31, in review): "
                               "review it with maskloop review open 3")
    opened = AddedObject(**{**added.__dict__, "frames": (5,), "review_open": True})
    assert describe(opened) == ("masklet 17 added to round 3 (video 4, frame 5, in review): the round's review "
                                "project is open; maskloop review open 3 adds its task")
    decided = AddedObject(**{**added.__dict__, "created": False, "status": "accepted"})
    assert describe(decided) == ("masklet 17 was already added to round 3 (video 4, frames 0-31, accepted): "
                                 "nothing changed")
