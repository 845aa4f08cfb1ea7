"""LocalStore: write-once, atomic, content-addressed blobs, listing, file:// URLs, hostile keys."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from storage.errors import ConflictError, InvalidInputError, NotFoundError
from storage.objects.local_store import LocalStore
from storage.objects.object_store import LockedObjectStore, ObjectStore


def test_write_once_same_bytes_is_a_no_op_different_bytes_conflict(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "objects")
    assert isinstance(store, ObjectStore) and not isinstance(store, LockedObjectStore)
    assert store.put_bytes("a/b.bin", b"one") is True
    assert store.put_bytes("a/b.bin", b"one") is False
    with pytest.raises(ConflictError):
        store.put_bytes("a/b.bin", b"two")
    assert store.get_bytes("a/b.bin") == b"one"
    assert store.exists("a/b.bin") and not store.exists("a/c.bin")


def test_missing_key_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        LocalStore(tmp_path).get_bytes("nope/x")


def test_put_blob_is_content_addressed(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    key, digest = store.put_blob(b"payload")
    assert digest == hashlib.sha256(b"payload").hexdigest()
    assert key == f"sha256/{digest[:2]}/{digest}"
    assert store.put_blob(b"payload") == (key, digest)
    assert store.get_bytes(key) == b"payload"


def test_list_keys_by_prefix_sorted_and_without_temp_files(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    for key in ["v/2/f.jpg", "v/1/f.jpg", "v/10/g.jpg", "w/x"]:
        store.put_bytes(key, key.encode())
    (tmp_path / "v" / "1" / ".tmp-crashed").write_bytes(b"half")
    assert list(store.list_keys("v/1")) == ["v/1/f.jpg", "v/10/g.jpg"]
    assert list(store.list_keys("v/1/")) == ["v/1/f.jpg"]
    assert list(store.list_keys("")) == ["v/1/f.jpg", "v/10/g.jpg", "v/2/f.jpg", "w/x"]
    assert list(store.list_keys("zzz/")) == []


def test_presigned_url_is_a_file_url(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put_bytes("a/b.txt", b"hi")
    url = store.presigned_url("a/b.txt")
    assert url.startswith("file://") and url.endswith("/a/b.txt")
    assert Path(url.removeprefix("file://")).read_bytes() == b"hi"


@pytest.mark.parametrize("key", ["../escape", "/etc/passwd", "a/../../b", "a\\b", "a\x00b", ".tmp-x/y"])
def test_hostile_keys_never_touch_the_disk(tmp_path: Path, key: str) -> None:
    root = tmp_path / "objects"
    store = LocalStore(root)
    with pytest.raises(InvalidInputError):
        store.put_bytes(key, b"x")
    with pytest.raises(InvalidInputError):
        store.get_bytes(key)
    assert not (tmp_path / "escape").exists()
    assert not root.exists() or not any(root.rglob("*"))


def test_concurrent_writers_of_one_key_never_overwrite(tmp_path: Path) -> None:
    """Eight threads race to write one key: exactly one wins, the rest see the same bytes."""
    store = LocalStore(tmp_path)
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def write() -> None:
        barrier.wait()
        results.append(store.put_bytes("race/key", b"same"))

    threads = [threading.Thread(target=write) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1 and results.count(False) == 7
    assert store.get_bytes("race/key") == b"same"
    assert [p.name for p in (tmp_path / "race").iterdir()] == ["key"]
