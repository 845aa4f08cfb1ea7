"""De-identification: container/stream metadata and the source path are stored nowhere.

A video carrying a title, comment, creation time, GPS location, device make/model/serial, encoder
and artist is ingested through the whole path (decode -> JPEG -> LocalStore -> SQLite catalog);
then every stored byte (objects, catalog file) and the registered record are searched for each
tag value and for the source file and folder names.
"""

from __future__ import annotations

import io
from pathlib import Path

from helpers.videos import SECRET_TAGS, write_numbered_video
from PIL import Image

from storage.catalog.catalog import Catalog
from storage.catalog.masklets import list_masklets
from storage.catalog.videos import get_video
from storage.importers.video_importer import ingest_into_catalog
from storage.media.video_probe import probe_video
from storage.objects.local_store import LocalStore

SOURCE_DIR = "Ward-7-Secret-Folder"
SOURCE_NAME = "Jane-Doe-Surgery-2019.mp4"


def _needles() -> list[bytes]:
    values = set(SECRET_TAGS.values()) | {SOURCE_DIR, SOURCE_NAME, "Jane-Doe", "2019-07-14", "48.8577"}
    return sorted(v.encode() for v in values)


def test_tagged_video_leaves_no_trace_in_objects_or_catalog(tmp_path: Path) -> None:
    source = tmp_path / SOURCE_DIR / SOURCE_NAME
    source.parent.mkdir()
    write_numbered_video(source, n_frames=40, fps=25, metadata=SECRET_TAGS)
    raw = source.read_bytes()
    assert any(n in raw for n in _needles())  # the test video really carries them
    home = tmp_path / "home"
    store = LocalStore(home / "objects")
    with Catalog.open(f"sqlite:///{home / 'catalog.sqlite'}") as catalog:
        outcome = ingest_into_catalog(source, dataset="d", fps=6, catalog=catalog, store=store,
                                      actor="tester", role="data_manager")
        record = repr(get_video(catalog, outcome.video.id)) + repr(list_masklets(catalog, video_id=outcome.video.id))
    stored = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.suffix == ".jpg" for p in stored) and any(p.name.startswith("catalog.sqlite") for p in stored)
    for path in stored:
        data = path.read_bytes()
        for needle in _needles():
            assert needle not in data, f"{needle!r} found in {path.relative_to(home)}"
    for needle in _needles():
        assert needle.decode() not in record
    for path in (p for p in stored if p.suffix == ".jpg"):
        with Image.open(io.BytesIO(path.read_bytes())) as img:
            assert "exif" not in img.info and not img.getexif()
            assert not (set(img.info) - {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"})


def test_probe_holds_no_metadata_field(tmp_path: Path) -> None:
    path = write_numbered_video(tmp_path / "t.mov", n_frames=5, metadata=SECRET_TAGS)
    probe = probe_video(path)
    text = repr(probe)
    assert all(v not in text for v in SECRET_TAGS.values())
    assert set(probe.__dataclass_fields__) == {"n_frames", "rate", "width", "height", "codec"}


def test_exif_and_comments_of_frame_files_are_dropped(tmp_path: Path) -> None:
    from helpers.videos import numbered_frame

    from storage.media.ingest import ingest_frame_folder

    folder = tmp_path / "Ward-7-Secret-Folder"
    folder.mkdir()
    for k in range(3):
        exif = Image.Exif()
        exif[0x010F] = "SecretCamMake"  # Make
        exif[0x0110] = "SERIAL-SN123456789"  # Model
        exif[0x0132] = "2019:07:14 09:41:27"  # DateTime
        exif[0x013B] = "Dr.Secretname"  # Artist
        Image.fromarray(numbered_frame(k)).save(folder / f"{k:05d}.jpg", exif=exif.tobytes(),
                                                comment="PATIENT-JANE-DOE-0042")
    assert b"SecretCamMake" in (folder / "00000.jpg").read_bytes()
    store = LocalStore(tmp_path / "objects")
    video = ingest_frame_folder(folder, dataset="d", fps=6, store=store)
    for key in store.list_keys(""):
        data = store.get_bytes(key)
        for needle in (b"SecretCamMake", b"SERIAL-SN123456789", b"2019:07:14", b"Dr.Secretname", b"PATIENT", b"Ward-7"):
            assert needle not in data
        with Image.open(io.BytesIO(data)) as img:
            assert not img.getexif() and "comment" not in img.info
    assert "Ward-7" not in repr(video)
