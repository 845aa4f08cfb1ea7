"""`maskloop dataset export` of a committed version on PostgreSQL + SeaweedFS (all three formats)."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import numpy as np
import pytest
from helpers.videos import davis_object_ids, frame_number, write_davis_layout

import flows.cli.dataset_export_cmd  # noqa: F401  (registers `dataset export` until groups.py imports it)
from flows.cli.main import main
from flows.services import object_store, open_catalog
from flows.settings import Settings
from storage.catalog.videos import list_videos
from storage.masks.davis_png import read_davis_mask
from storage.masks.rle import decode_rle
from storage.masks.sav_json import read_sav
from storage.media.jpeg import decode_jpeg
from storage.versions.commit import commit_version


@pytest.fixture()
def committed(cli_settings: Settings, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = cli_settings
    width = 64 + 8 * secrets.randbelow(1000)
    root = write_davis_layout(tmp_path / "davis", {"alpha": 4}, width=width)
    assert main(["import", "davis", str(root), "--dataset", "func-export", "--with-gt"]) == 0
    store = object_store(settings)
    with open_catalog(settings) as catalog:
        ref = commit_version(catalog, "func-export", message="gt", actor="t", role="data_manager",
                             manifest_writer=store.put_blob)
        [video] = list_videos(catalog, "func-export")
    return ref.name, video, width


def test_export_every_format(  # type: ignore[no-untyped-def]
    committed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, video, width = committed
    seq = f"video_{video.id:06d}"
    for fmt in ("davis", "sav", "coco"):
        assert main(["dataset", "export", name, str(tmp_path / "out" / fmt), "--format", fmt]) == 0
        assert f"exported {name} as {fmt}" in capsys.readouterr().out
    for k in range(4):
        ids = read_davis_mask(tmp_path / "out" / "davis" / "Annotations" / "480p" / seq / f"{k:05d}.png")
        assert np.array_equal(ids, davis_object_ids(k, width=width))
        frame = decode_jpeg((tmp_path / "out" / "davis" / "JPEGImages" / "480p" / seq / f"{k:05d}.jpg").read_bytes())
        assert frame_number(frame) == k
    sav = read_sav(tmp_path / "out" / "sav" / "annotations" / f"{seq}_manual.json")
    assert all(np.array_equal(decode_rle(sav.masklets[1][k]), davis_object_ids(k, width=width) == 2) for k in range(4))
    coco = json.loads((tmp_path / "out" / "coco" / "annotations.json").read_text())
    assert len(coco["images"]) == 4 and {a["track_id"] for a in coco["annotations"]} == set(sav.masklet_ids)
