"""S3Store on the stack's real SeaweedFS: write-once, presigned GET, WORM retention, hostile keys."""

from __future__ import annotations

import hashlib
import secrets

import httpx
import pytest
from minio.error import S3Error

from storage.errors import ConflictError, InvalidInputError, NotFoundError, UnavailableError
from storage.objects.object_store import LockedObjectStore, ObjectStore
from storage.objects.s3_store import S3Store


@pytest.fixture()
def store(stack) -> S3Store:  # type: ignore[no-untyped-def]
    return S3Store(stack.s3_endpoint, access_key=stack.s3_access_key, secret_key=stack.s3_secret_key,
                   bucket=stack.s3_bucket, region=stack.s3_region, object_lock_bucket=stack.s3_worm_bucket)


@pytest.fixture()
def prefix() -> str:
    return f"tests/{secrets.token_hex(6)}"


def test_write_once_get_exists_list(store: S3Store, prefix: str) -> None:
    assert isinstance(store, ObjectStore) and isinstance(store, LockedObjectStore)
    key = f"{prefix}/a.bin"
    assert store.put_bytes(key, b"one", content_type="text/plain") is True
    assert store.put_bytes(key, b"one") is False
    with pytest.raises(ConflictError, match="write-once"):
        store.put_bytes(key, b"two")
    assert store.get_bytes(key) == b"one"
    assert store.exists(key) and not store.exists(f"{prefix}/missing")
    with pytest.raises(NotFoundError):
        store.get_bytes(f"{prefix}/missing")
    store.put_bytes(f"{prefix}/b/c.bin", b"c")
    assert list(store.list_keys(f"{prefix}/")) == [f"{prefix}/a.bin", f"{prefix}/b/c.bin"]


def test_put_blob_is_content_addressed(store: S3Store) -> None:
    data = secrets.token_bytes(64)
    key, digest = store.put_blob(data)
    assert digest == hashlib.sha256(data).hexdigest() and key == f"sha256/{digest[:2]}/{digest}"
    assert store.put_blob(data) == (key, digest)
    assert store.get_bytes(key) == data


def test_presigned_url_is_fetchable_without_credentials(store: S3Store, prefix: str) -> None:
    key = f"{prefix}/frame.jpg"
    store.put_bytes(key, b"\xff\xd8jpeg-bytes", content_type="image/jpeg")
    url = store.presigned_url(key, expires_s=120)
    response = httpx.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == b"\xff\xd8jpeg-bytes"
    assert response.headers["content-type"] == "image/jpeg"
    tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert httpx.get(tampered, timeout=10).status_code == 403


def test_locked_object_version_cannot_be_deleted_or_overwritten(  # type: ignore[no-untyped-def]
    store: S3Store, stack, prefix: str
) -> None:
    from minio import Minio

    key = f"{prefix}/manifest.json"
    assert store.put_locked(key, b'{"v": 1}', retain_days=1) is True
    assert store.put_locked(key, b'{"v": 1}', retain_days=1) is False
    with pytest.raises(ConflictError):
        store.put_locked(key, b'{"v": 2}', retain_days=1)
    admin = Minio(stack.s3_endpoint, access_key=stack.s3_access_key, secret_key=stack.s3_secret_key,
                  secure=False, region=stack.s3_region)
    stat = admin.stat_object(stack.s3_worm_bucket, key)
    retention = admin.get_object_retention(stack.s3_worm_bucket, key, version_id=stat.version_id)
    assert retention.mode == "COMPLIANCE"
    with pytest.raises(S3Error) as denied:
        admin.remove_object(stack.s3_worm_bucket, key, version_id=stat.version_id)
    assert denied.value.code == "AccessDenied"
    assert store.get_locked(key) == b'{"v": 1}'


def test_governance_mode_is_also_retained(store: S3Store, stack, prefix: str) -> None:  # type: ignore[no-untyped-def]
    from minio import Minio

    key = f"{prefix}/audit.jsonl"
    store.put_locked(key, b"event\n", retain_days=1, mode="GOVERNANCE")
    admin = Minio(stack.s3_endpoint, access_key=stack.s3_access_key, secret_key=stack.s3_secret_key,
                  secure=False, region=stack.s3_region)
    version = admin.stat_object(stack.s3_worm_bucket, key).version_id
    assert admin.get_object_retention(stack.s3_worm_bucket, key, version_id=version).mode == "GOVERNANCE"
    with pytest.raises(S3Error):
        admin.remove_object(stack.s3_worm_bucket, key, version_id=version)


@pytest.mark.parametrize("key", ["../escape", "/abs", "a/../../b", "a//b", "a\\b", "nul\x00", "é" * 600])
def test_hostile_keys_never_reach_the_server(store: S3Store, key: str) -> None:
    for call in (lambda: store.put_bytes(key, b"x"), lambda: store.get_bytes(key), lambda: store.exists(key),
                 lambda: store.presigned_url(key), lambda: store.put_locked(key, b"x", 1)):
        with pytest.raises(InvalidInputError):
            call()


def test_bad_bucket_name_is_invalid_input() -> None:
    with pytest.raises(InvalidInputError, match="bucket"):
        S3Store("127.0.0.1:1", access_key="a", secret_key="b", bucket="x").put_bytes("k", b"v")


def test_unreachable_server_is_unavailable() -> None:
    dead = S3Store("127.0.0.1:1", access_key="a", secret_key="b", bucket="nobucket", timeout_s=2)
    with pytest.raises(UnavailableError, match="127.0.0.1:1") as info:
        dead.put_bytes("k", b"v")
    assert info.value.__cause__ is not None
