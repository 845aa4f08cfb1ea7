"""`maskloop import davis --with-gt` and `import sav` on PostgreSQL + SeaweedFS: ground truth
stored as accepted ground_truth masklets, idempotent, malformed sequences leave nothing behind."""

from __future__ import annotations

import secrets
from pathlib import Path

import numpy as np
import pytest
from helpers.videos import davis_object_ids, write_davis_layout, write_numbered_video

from flows.cli.main import main
from flows.services import object_store, open_catalog
from flows.settings import Settings
from storage.catalog.masklets import list_masklets, masklet_revision_blob
from storage.catalog.videos import list_videos
from storage.masks.masklet_blob import masklet_blob_from_bytes
from storage.masks.rle import decode_rle, encode_rle
from storage.masks.sav_json import build_sav, write_sav


@pytest.fixture()
def settings(cli_settings: Settings) -> Settings:
    return cli_settings


def test_import_davis_with_ground_truth_on_the_stack(settings: Settings, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    width = 64 + 8 * secrets.randbelow(1000)  # fresh frame bytes: a video this bucket has never seen
    root = write_davis_layout(tmp_path / "davis", {"alpha": 5, "broken": 3}, width=width)
    (root / "Annotations" / "480p" / "broken" / "00002.png").unlink()
    code = main(["import", "davis", str(root), "--dataset", "func-davis", "--with-gt"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "imported: alpha -> video 1, 5 frames, 2 ground-truth masklets" in out
    assert err.strip() == "error: sequence broken: 3 frames but 2 masks (unmatched: 00002)"
    store = object_store(settings)
    with open_catalog(settings) as catalog:
        [video] = list_videos(catalog, "func-davis")
        masklets = list_masklets(catalog, video_id=video.id).sort_values("masklet_id")
        assert list(masklets["origin"]) == ["ground_truth"] * 2 and set(masklets["status"]) == {"accepted"}
        for object_id, masklet_id in enumerate(masklets["masklet_id"], start=1):
            key, _ = masklet_revision_blob(catalog, int(masklet_id))
            blob = masklet_blob_from_bytes(store.get_bytes(key))
            for k, rle in zip(blob.frame_indices, blob.rles):
                assert np.array_equal(decode_rle(rle), davis_object_ids(k, width=width) == object_id)
    assert main(["import", "davis", str(root), "--dataset", "func-davis", "--sequences", "alpha"]) == 0
    assert capsys.readouterr().out.strip() == "already ingested: alpha (video 1)"


def test_import_sav_on_the_stack(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    height = 96 + 16 * secrets.randbelow(100)
    video = write_numbered_video(tmp_path / "sav_x.mp4", n_frames=21, fps=24, height=height)
    masks = [[encode_rle(np.eye(height, 160, k=t, dtype=bool)) for t in range(6)]]
    write_sav(tmp_path / "sav_x_manual.json", build_sav(
        video_id="sav_x", height=height, width=160, fps=6.0, source_frame_count=21, masklets=masks,
        masklet_ids=[0], masklet_types=["manual"], split="train"))
    args = ["import", "sav", str(tmp_path / "sav_x_manual.json"), "--video", str(video), "--dataset", "func-sav"]
    assert main(args) == 0
    assert capsys.readouterr().out.strip() == "imported: sav_x.mp4 -> video 1, 6 frames, 1 ground-truth masklets"
    assert main(args) == 0
    assert capsys.readouterr().out.strip() == "already ingested: sav_x.mp4 (video 1)"
