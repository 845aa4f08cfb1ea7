"""DAVIS import on SQLite + LocalStore: frames and ground truth stored, idempotent, malformed
sequences rejected with nothing registered, several objects per sequence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers.videos import davis_object_ids, frame_number, write_davis_layout

from storage.catalog.catalog import Catalog
from storage.catalog.masklets import list_masklets, masklet_revision_blob
from storage.catalog.videos import list_videos
from storage.errors import InvalidInputError, NotFoundError
from storage.importers.davis_importer import import_davis
from storage.masks.davis_png import write_davis_mask
from storage.masks.masklet_blob import masklet_blob_from_bytes
from storage.masks.rle import decode_rle
from storage.media.jpeg import decode_jpeg
from storage.objects.local_store import LocalStore

W, H = 64, 40
ACTOR = {"actor": "tester", "role": "data_manager"}


object_ids = davis_object_ids
make_davis = write_davis_layout


@pytest.fixture()
def catalog(tmp_path: Path):  # type: ignore[no-untyped-def]
    with Catalog.open(f"sqlite:///{tmp_path / 'catalog.sqlite'}") as cat:
        yield cat


def test_import_with_ground_truth_stores_frames_and_one_masklet_per_object(tmp_path: Path, catalog: Catalog) -> None:
    root = make_davis(tmp_path / "davis", {"alpha": 6, "beta": 4})
    store = LocalStore(tmp_path / "objects")
    outcomes = import_davis(root, dataset="dv", catalog=catalog, store=store, with_gt=True, **ACTOR)
    assert [(o.name, o.status, o.n_masklets) for o in outcomes] == [("alpha", "ingested", 2), ("beta", "ingested", 2)]
    alpha = outcomes[0].video
    assert (alpha.n_frames, alpha.width, alpha.height, alpha.fps) == (6, W, H, 24.0)
    for k in range(6):
        assert frame_number(decode_jpeg(store.get_bytes(alpha.frame_key(k)))) == k
    masklets = list_masklets(catalog, video_id=alpha.id)
    assert set(masklets["origin"]) == {"ground_truth"} and set(masklets["status"]) == {"accepted"}
    for object_id, masklet_id in enumerate(sorted(masklets["masklet_id"]), start=1):
        key, _sha = masklet_revision_blob(catalog, int(masklet_id))
        blob = masklet_blob_from_bytes(store.get_bytes(key))
        assert blob.video_sha256 == alpha.sha256 and blob.frame_indices == tuple(range(6))
        for k, rle in zip(blob.frame_indices, blob.rles):
            assert np.array_equal(decode_rle(rle), object_ids(k) == object_id)


def test_second_import_is_already_ingested_and_creates_nothing(tmp_path: Path, catalog: Catalog) -> None:
    root = make_davis(tmp_path / "davis", {"alpha": 3})
    store = LocalStore(tmp_path / "objects")
    import_davis(root, dataset="dv", catalog=catalog, store=store, with_gt=True, **ACTOR)
    keys = list(store.list_keys(""))
    n_masklets = len(list_masklets(catalog, dataset="dv"))
    again = import_davis(root, dataset="dv", catalog=catalog, store=store, with_gt=True, **ACTOR)
    assert [o.status for o in again] == ["already ingested"]
    assert list(store.list_keys("")) == keys and len(list_masklets(catalog, dataset="dv")) == n_masklets
    assert len(list_videos(catalog, "dv")) == 1


def test_binary_masks_and_import_without_ground_truth(tmp_path: Path, catalog: Catalog) -> None:
    root = make_davis(tmp_path / "davis", {"bin": 3}, binary=True)
    store = LocalStore(tmp_path / "objects")
    [with_gt] = import_davis(root, dataset="a", catalog=catalog, store=store, with_gt=True, **ACTOR)
    assert with_gt.n_masklets == 1
    [no_gt] = import_davis(root, dataset="b", catalog=catalog, store=store, with_gt=False, **ACTOR)
    assert no_gt.status == "ingested" and no_gt.n_masklets == 0
    assert list_masklets(catalog, dataset="b").empty


@pytest.mark.parametrize(("breakage", "message"), [
    ("missing_mask", "4 frames but 3 masks"),
    ("wrong_size", "is 32x40, frames are 64x40"),
    ("renamed_mask", "mask folder Annotations/480p/bad has a gap in numbering"),
    ("frame_gap", "gap in numbering"),
    ("no_annotations", "has no Annotations/480p/bad"),
])
def test_malformed_sequence_fails_alone_and_registers_nothing(
    tmp_path: Path, catalog: Catalog, breakage: str, message: str
) -> None:
    root = make_davis(tmp_path / "davis", {"bad": 4, "good": 2})
    masks = root / "Annotations" / "480p" / "bad"
    if breakage == "missing_mask":
        (masks / "00003.png").unlink()
    elif breakage == "wrong_size":
        write_davis_mask(masks / "00002.png", np.zeros((H, 32), dtype=np.uint8))
    elif breakage == "renamed_mask":
        (masks / "00003.png").rename(masks / "00007.png")
    elif breakage == "frame_gap":
        (root / "JPEGImages" / "480p" / "bad" / "00001.jpg").unlink()
    else:
        for p in masks.iterdir():
            p.unlink()
        masks.rmdir()
    store = LocalStore(tmp_path / "objects")
    bad, good = import_davis(root, dataset="dv", catalog=catalog, store=store, with_gt=True, **ACTOR)
    assert bad.status == "failed" and isinstance(bad.error, InvalidInputError)
    assert message in str(bad.error)
    assert good.status == "ingested"
    assert [v.sha256 for v in list_videos(catalog, "dv")] == [good.video.sha256]
    assert all(k.startswith((f"videos/{good.video.sha256}/", "sha256/")) for k in store.list_keys(""))


def test_not_a_davis_root_or_unknown_sequence(tmp_path: Path, catalog: Catalog) -> None:
    store = LocalStore(tmp_path / "objects")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInputError, match="not a DAVIS root"):
        import_davis(tmp_path / "empty", dataset="d", catalog=catalog, store=store, with_gt=True, **ACTOR)
    root = make_davis(tmp_path / "davis", {"alpha": 2})
    with pytest.raises(NotFoundError, match="nope"):
        import_davis(root, dataset="d", catalog=catalog, store=store, with_gt=True, sequences=["nope"], **ACTOR)
