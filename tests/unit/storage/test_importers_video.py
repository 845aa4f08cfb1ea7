"""ingest_into_catalog: frames first, catalog row last; a crash mid-way leaves no video row and a
retry completes with the same objects; a repeat creates nothing and decodes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.videos import write_numbered_video

from storage.catalog.catalog import Catalog
from storage.catalog.videos import list_videos
from storage.errors import NotFoundError, UnavailableError
from storage.importers.video_importer import ingest_into_catalog
from storage.objects.local_store import LocalStore

ACTOR = {"actor": "tester", "role": "data_manager"}


class FlakyStore(LocalStore):
    """A LocalStore that dies (like a lost S3 connection) after ``fail_after`` frame writes."""

    def __init__(self, root: Path, fail_after: int) -> None:
        super().__init__(root)
        self.fail_after = fail_after
        self.writes = 0

    def put_bytes(self, key: str, data: bytes, *, content_type: str = "application/octet-stream") -> bool:
        self.writes += 1
        if self.writes > self.fail_after:
            raise UnavailableError("store went away")
        return super().put_bytes(key, data, content_type=content_type)


def test_crash_mid_ingest_registers_nothing_and_a_retry_completes(tmp_path: Path) -> None:
    clip = write_numbered_video(tmp_path / "clip.mp4", n_frames=60, fps=25)
    with Catalog.open(f"sqlite:///{tmp_path / 'c.sqlite'}") as catalog:
        flaky = FlakyStore(tmp_path / "objects", fail_after=5)
        with pytest.raises(UnavailableError):
            ingest_into_catalog(clip, dataset="d", fps=6, catalog=catalog, store=flaky, **ACTOR)
        with pytest.raises(NotFoundError):  # not even the dataset row exists
            list_videos(catalog, "d")
        partial = set(LocalStore(tmp_path / "objects").list_keys(""))
        assert 0 < len(partial) <= 5
        outcome = ingest_into_catalog(clip, dataset="d", fps=6, catalog=catalog,
                                      store=LocalStore(tmp_path / "objects"), **ACTOR)
        assert outcome.status == "ingested" and outcome.video.n_frames == 15
        keys = set(LocalStore(tmp_path / "objects").list_keys(""))
        assert partial < keys and len(keys) == 15
        assert [v.id for v in list_videos(catalog, "d")] == [outcome.video.id]


def test_repeat_is_already_ingested_without_touching_the_store(tmp_path: Path) -> None:
    clip = write_numbered_video(tmp_path / "clip.mkv", n_frames=20, fps=24)
    with Catalog.open(f"sqlite:///{tmp_path / 'c.sqlite'}") as catalog:
        first = ingest_into_catalog(clip, dataset="d", fps=6, catalog=catalog,
                                    store=LocalStore(tmp_path / "objects"), **ACTOR)
        untouchable = FlakyStore(tmp_path / "objects", fail_after=0)
        again = ingest_into_catalog(clip, dataset="d", fps=6, catalog=catalog, store=untouchable, **ACTOR)
        assert again.status == "already ingested" and again.video == first.video
        assert untouchable.writes == 0
