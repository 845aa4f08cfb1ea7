"""SA-V import: the video is kept at the annotation rate (stored frame t = source frame 4 t) and
every SA-V object becomes a ground-truth masklet; mismatched videos are refused up front."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers.videos import frame_number, write_numbered_video

from storage.catalog.catalog import Catalog
from storage.catalog.masklets import list_masklets, masklet_revision_blob
from storage.errors import InvalidInputError
from storage.importers.sav_importer import import_sav
from storage.masks.masklet_blob import masklet_blob_from_bytes
from storage.masks.rle import decode_rle, encode_rle
from storage.masks.sav_json import build_sav, write_sav
from storage.media.jpeg import decode_jpeg
from storage.objects.local_store import LocalStore

W, H = 160, 96
ACTOR = {"actor": "tester", "role": "data_manager"}


def _mask(o: int, t: int) -> np.ndarray:
    m = np.zeros((H, W), dtype=bool)
    if not (o == 1 and t == 2):  # object 1 occluded on frame 2
        m[10 + o * 30:30 + o * 30, t * 5:t * 5 + 20] = True
    return m


def _sav_file(path: Path, *, n_frames: int, height: int = H) -> Path:
    masklets = [[encode_rle(_mask(o, t)[:height]) for t in range(n_frames)] for o in range(2)]
    doc = build_sav(video_id="sav_x", height=height, width=W, fps=6.0, source_frame_count=4 * n_frames - 2,
                    masklets=masklets, masklet_ids=[0, 1], masklet_types=["manual", "manual"], split="train")
    write_sav(path, doc)
    return path


def test_import_sav_aligns_frames_and_masks(tmp_path: Path) -> None:
    video = write_numbered_video(tmp_path / "sav_x.mp4", n_frames=22, fps=24)  # 6 annotated frames: 0,4,...,20
    annotations = _sav_file(tmp_path / "sav_x_manual.json", n_frames=6)
    store = LocalStore(tmp_path / "objects")
    with Catalog.open(f"sqlite:///{tmp_path / 'c.sqlite'}") as catalog:
        outcome = import_sav(annotations, video=video, dataset="sav", catalog=catalog, store=store, **ACTOR)
        assert outcome.status == "ingested" and outcome.n_masklets == 2
        ref = outcome.video
        assert (ref.n_frames, ref.fps) == (6, 6.0)
        for t in range(6):
            assert frame_number(decode_jpeg(store.get_bytes(ref.frame_key(t)))) == 4 * t
        masklets = list_masklets(catalog, video_id=ref.id).sort_values("masklet_id")
        assert list(masklets["origin"]) == ["ground_truth"] * 2
        for o, masklet_id in enumerate(masklets["masklet_id"]):
            key, _ = masklet_revision_blob(catalog, int(masklet_id))
            blob = masklet_blob_from_bytes(store.get_bytes(key))
            assert all(np.array_equal(decode_rle(r), _mask(o, t)) for t, r in zip(blob.frame_indices, blob.rles))
        again = import_sav(annotations, video=video, dataset="sav", catalog=catalog, store=store, **ACTOR)
        assert again.status == "already ingested" and len(list_masklets(catalog, dataset="sav")) == 2


@pytest.mark.parametrize(("n_annotated", "height", "message"), [
    (5, H, "has 5 annotated frames but sav_x.mp4 gives 6"),
    (6, 48, "annotates 160x48 frames but sav_x.mp4 is 160x96"),
])
def test_mismatched_video_is_refused_before_anything_is_stored(
    tmp_path: Path, n_annotated: int, height: int, message: str
) -> None:
    video = write_numbered_video(tmp_path / "sav_x.mp4", n_frames=22, fps=24)
    annotations = _sav_file(tmp_path / "a.json", n_frames=n_annotated, height=height)
    store = LocalStore(tmp_path / "objects")
    with Catalog.open(f"sqlite:///{tmp_path / 'c.sqlite'}") as catalog:
        with pytest.raises(InvalidInputError, match=message):
            import_sav(annotations, video=video, dataset="sav", catalog=catalog, store=store, **ACTOR)
        assert list_masklets(catalog, dataset=None).empty
    assert list(store.list_keys("")) == []
