"""The one object-store protocol every layer above codes against.

Write-once semantics: a key, once written, never changes. Writing the same bytes again is a no-op
(``put_bytes`` returns False), writing different bytes raises ConflictError. There is no delete and
no overwrite. Content-addressed blobs (masklet revisions, manifests) go through :meth:`put_blob`,
whose key is ``sha256/<hex[:2]>/<hex>`` (:func:`storage.records.blob_key`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from storage.records import blob_key

DEFAULT_CONTENT_TYPE = "application/octet-stream"


def sha256_hex(data: bytes) -> str:
    """Lower-case hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def blob_key_of(data: bytes) -> tuple[str, str]:
    """(content-addressed key, sha256 hex) of ``data``."""
    digest = sha256_hex(data)
    return blob_key(digest), digest


@runtime_checkable
class ObjectStore(Protocol):
    """Write-once key/value store of bytes (LocalStore, S3Store)."""

    def put_bytes(self, key: str, data: bytes, *, content_type: str = DEFAULT_CONTENT_TYPE) -> bool:
        """Store ``data`` at ``key``. True: written; False: the same bytes were already there.

        Raises ConflictError when ``key`` holds different bytes, InvalidInputError for a bad key.
        """
        ...

    def get_bytes(self, key: str) -> bytes:
        """The bytes at ``key``; NotFoundError when absent."""
        ...

    def exists(self, key: str) -> bool:
        """True when ``key`` holds an object."""
        ...

    def put_blob(self, data: bytes, *, content_type: str = DEFAULT_CONTENT_TYPE) -> tuple[str, str]:
        """Store ``data`` content-addressed; returns ``(key, sha256 hex)``."""
        ...

    def presigned_url(self, key: str, *, expires_s: int = 3600) -> str:
        """A URL a browser or Label Studio can GET without credentials, valid ``expires_s`` seconds."""
        ...

    def list_keys(self, prefix: str) -> Iterator[str]:
        """Every key starting with ``prefix`` (a plain string prefix, S3 style), in sorted order."""
        ...


@runtime_checkable
class LockedObjectStore(ObjectStore, Protocol):
    """An object store that can also write WORM objects (S3Store with an object-lock bucket).

    LocalStore is not one: a plain folder cannot enforce retention. Check with
    ``isinstance(store, LockedObjectStore)`` before writing manifests or audit exports as WORM.
    """

    def put_locked(self, key: str, data: bytes, retain_days: int, *, mode: str = "COMPLIANCE",
                   content_type: str = DEFAULT_CONTENT_TYPE) -> bool:
        """Write ``data`` once into the object-lock bucket, retained ``retain_days`` days."""
        ...

    def get_locked(self, key: str) -> bytes:
        """The bytes of a WORM object."""
        ...
