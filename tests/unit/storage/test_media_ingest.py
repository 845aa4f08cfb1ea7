"""ingest_video / ingest_frame_folder: frames at frame_key(sha, k), write-once retries, NewVideo."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from helpers.videos import frame_number, write_frame_folder, write_numbered_video

from storage.errors import InvalidInputError
from storage.media.ingest import ingest_frame_folder, ingest_video
from storage.media.jpeg import decode_jpeg, encode_jpeg
from storage.objects.local_store import LocalStore
from storage.records import frame_key


def test_ingest_video_stores_every_sampled_frame_as_jpeg(tmp_path: Path) -> None:
    path = write_numbered_video(tmp_path / "clip.mp4", n_frames=50, fps=25)
    store = LocalStore(tmp_path / "objects")
    seen: list[tuple[int, int]] = []
    video = ingest_video(path, dataset="d", fps=6, store=store, progress=lambda d, t: seen.append((d, t)))
    assert video.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert video.source_frame_indices == (0, 5, 9, 13, 17, 21, 25, 30, 34, 38, 42, 46)
    assert (video.n_frames, video.width, video.height, video.codec) == (12, 160, 96, "h264")
    assert (video.fps, video.source_fps) == (6.0, 25.0)
    assert video.sampling_stride == pytest.approx(25 / 6)
    assert seen[-1] == (12, 12)
    keys = list(store.list_keys(f"videos/{video.sha256}/"))
    assert keys == [frame_key(video.sha256, k) for k in range(12)]
    for k, source in enumerate(video.source_frame_indices):
        image = decode_jpeg(store.get_bytes(frame_key(video.sha256, k)))
        assert frame_number(image) == source


def test_retried_ingest_is_a_no_op_on_the_store(tmp_path: Path) -> None:
    path = write_numbered_video(tmp_path / "clip.mkv", n_frames=30, fps=24)
    store = LocalStore(tmp_path / "objects")
    first = ingest_video(path, dataset="d", fps=6, store=store)
    before = {k: store.get_bytes(k) for k in store.list_keys("")}
    again = ingest_video(path, dataset="d", fps=6, store=store)
    assert again == first
    assert {k: store.get_bytes(k) for k in store.list_keys("")} == before


def test_frame_folder_keeps_every_frame_in_numeric_order(tmp_path: Path) -> None:
    folder = tmp_path / "seq"
    files = write_frame_folder(folder, n_frames=12, suffix=".png")
    (folder / ".DS_Store").write_bytes(b"junk")
    (folder / "notes.txt").write_text("ignored")
    store = LocalStore(tmp_path / "objects")
    video = ingest_frame_folder(folder, dataset="d", fps=24, store=store)
    assert video.n_frames == 12 and video.codec == "png-folder" and video.fps == 24
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()
    assert video.sha256 == digest
    for k in range(12):
        assert frame_number(decode_jpeg(store.get_bytes(frame_key(digest, k)))) == k


def test_frame_folder_numbers_sort_numerically(tmp_path: Path) -> None:
    folder = tmp_path / "seq"
    write_frame_folder(folder, n_frames=3)
    (folder / "00000.jpg").rename(folder / "8.jpg")
    (folder / "00001.jpg").rename(folder / "9.jpg")
    (folder / "00002.jpg").rename(folder / "10.jpg")
    store = LocalStore(tmp_path / "o")
    video = ingest_frame_folder(folder, dataset="d", fps=6, store=store)
    assert [frame_number(decode_jpeg(store.get_bytes(frame_key(video.sha256, k)))) for k in range(3)] == [0, 1, 2]


def test_frame_folder_with_a_gap_is_rejected_naming_it(tmp_path: Path) -> None:
    folder = tmp_path / "seq"
    write_frame_folder(folder, n_frames=5)
    (folder / "00002.jpg").unlink()
    store = LocalStore(tmp_path / "o")
    with pytest.raises(InvalidInputError, match="gap in numbering: 00001.jpg is followed by 00003.jpg"):
        ingest_frame_folder(folder, dataset="d", fps=6, store=store)
    assert list(store.list_keys("")) == []


def test_frame_folder_with_mixed_sizes_or_no_images_is_rejected(tmp_path: Path) -> None:
    folder = tmp_path / "seq"
    write_frame_folder(folder, n_frames=2)
    write_frame_folder(folder, n_frames=1, start=2, width=80)
    with pytest.raises(InvalidInputError, match="00002.jpg is 80x96"):
        ingest_frame_folder(folder, dataset="d", fps=6, store=LocalStore(tmp_path / "o"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InvalidInputError, match="no images"):
        ingest_frame_folder(empty, dataset="d", fps=6, store=LocalStore(tmp_path / "o"))


def test_encode_jpeg_is_deterministic_and_checks_its_input() -> None:
    image = np.random.default_rng(1).integers(0, 255, (32, 48, 3), dtype=np.uint8)
    assert encode_jpeg(image) == encode_jpeg(image.copy())
    assert decode_jpeg(encode_jpeg(image)).shape == (32, 48, 3)
    with pytest.raises(InvalidInputError):
        encode_jpeg(image[..., 0])
    with pytest.raises(InvalidInputError):
        encode_jpeg(image.astype(np.float32))
