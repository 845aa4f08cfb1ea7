"""Import DAVIS ground truth -> commit a dataset version -> export it as davis, sav and coco:
every exported mask equals the imported one, frames are the stored JPEGs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers.videos import davis_object_ids as object_ids
from helpers.videos import frame_number
from helpers.videos import write_davis_layout as make_davis
from pycocotools import mask as mask_utils

from storage.catalog.catalog import Catalog
from storage.errors import InvalidInputError
from storage.exporters.version_exporter import export_version
from storage.importers.davis_importer import import_davis
from storage.masks.davis_png import read_davis_mask
from storage.masks.rle import decode_rle
from storage.masks.sav_json import read_sav
from storage.media.jpeg import decode_jpeg
from storage.objects.local_store import LocalStore
from storage.versions.commit import commit_version

W, H = 64, 40
ACTOR = {"actor": "tester", "role": "data_manager"}


@pytest.fixture()
def committed(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = make_davis(tmp_path / "davis", {"alpha": 5})
    store = LocalStore(tmp_path / "objects")
    with Catalog.open(f"sqlite:///{tmp_path / 'c.sqlite'}") as catalog:
        [outcome] = import_davis(root, dataset="dv", catalog=catalog, store=store, with_gt=True, **ACTOR)
        ref = commit_version(catalog, "dv", message="gt", manifest_writer=store.put_blob, **ACTOR)
        yield catalog, store, ref.name, outcome.video


def test_export_davis_reproduces_the_masks(tmp_path: Path, committed) -> None:  # type: ignore[no-untyped-def]
    catalog, store, name, video = committed
    summary = export_version(catalog, store, name, fmt="davis", out=tmp_path / "out")
    assert (summary.n_videos, summary.n_masklets, summary.n_frames) == (1, 2, 5)
    seq = f"video_{video.id:06d}"
    for k in range(5):
        assert np.array_equal(read_davis_mask(tmp_path / "out" / "Annotations" / "480p" / seq / f"{k:05d}.png"),
                              object_ids(k))
        frame = (tmp_path / "out" / "JPEGImages" / "480p" / seq / f"{k:05d}.jpg").read_bytes()
        assert frame_number(decode_jpeg(frame)) == k
    index = json.loads((tmp_path / "out" / "export.json").read_text())
    assert index["version"] == name and index["sequences"][seq]["video_sha256"] == video.sha256
    split = index["sequences"][seq]["split"]
    assert (tmp_path / "out" / "ImageSets" / f"{split}.txt").read_text() == f"{seq}\n"


def test_export_sav_and_coco(tmp_path: Path, committed) -> None:  # type: ignore[no-untyped-def]
    catalog, store, name, video = committed
    seq = f"video_{video.id:06d}"
    export_version(catalog, store, name, fmt="sav", out=tmp_path / "sav")
    sav = read_sav(tmp_path / "sav" / "annotations" / f"{seq}_manual.json")
    assert (sav.height, sav.width, sav.n_frames, len(sav.masklets)) == (H, W, 5, 2)
    for o in range(2):
        for k in range(5):
            assert np.array_equal(decode_rle(sav.masklets[o][k]), object_ids(k) == o + 1)
    export_version(catalog, store, name, fmt="coco", out=tmp_path / "coco")
    doc = json.loads((tmp_path / "coco" / "annotations.json").read_text())
    assert len(doc["images"]) == 5 and (tmp_path / "coco" / "images" / seq / "00004.jpg").is_file()
    assert len(doc["annotations"]) == 5 + 3  # object 2 is gone from frame 3 on
    for ann in doc["annotations"]:
        k = doc["images"][ann["image_id"] - 1]["frame_index"]
        obj = sorted({a["track_id"] for a in doc["annotations"]}).index(ann["track_id"]) + 1
        seg = dict(ann["segmentation"], counts=ann["segmentation"]["counts"].encode())
        assert np.array_equal(mask_utils.decode(seg).astype(bool), object_ids(k) == obj)


def test_export_refuses_a_non_empty_folder_and_unknown_format(  # type: ignore[no-untyped-def]
    tmp_path: Path, committed
) -> None:
    catalog, store, name, _ = committed
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    with pytest.raises(InvalidInputError, match="not an empty folder"):
        export_version(catalog, store, name, fmt="davis", out=tmp_path / "busy")
    assert (tmp_path / "busy" / "keep.txt").read_text() == "mine"
    with pytest.raises(InvalidInputError, match="unknown export format"):
        export_version(catalog, store, name, fmt="png", out=tmp_path / "x")  # type: ignore[arg-type]
