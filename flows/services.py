"""Factories that build the storage services from Settings (the only place that reads them).

Embedded defaults: a LocalStore under ``<home>/objects`` and a SQLite catalog under ``<home>``;
with ``MASKLOOP_S3_ENDPOINT`` an S3Store (frames/blobs bucket + object-lock bucket), with
``MASKLOOP_DATABASE_URL`` the PostgreSQL catalog. Nothing is cached globally: each call builds a
new client; the caller closes the catalog (``with open_catalog(settings) as catalog:``).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import TYPE_CHECKING

from flows.settings import Settings

if TYPE_CHECKING:
    from storage.catalog.catalog import Catalog
    from storage.objects.object_store import ObjectStore


def object_store(settings: Settings) -> ObjectStore:
    """The configured object store: S3Store when ``settings.uses_s3``, else LocalStore."""
    if settings.uses_s3:
        from storage.objects.s3_store import S3Store

        return S3Store(
            str(settings.s3_endpoint),
            access_key=settings.s3_access_key.get_secret_value() if settings.s3_access_key else None,
            secret_key=settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None,
            bucket=settings.s3_bucket,
            region=settings.s3_region,
            secure=settings.s3_secure,
            object_lock_bucket=settings.s3_worm_bucket,
        )
    from storage.objects.local_store import LocalStore

    return LocalStore(settings.objects_dir)


def open_catalog(settings: Settings) -> Catalog:
    """Open the configured catalog (SQLite is migrated on open; PostgreSQL needs `maskloop db upgrade`)."""
    from storage.catalog.catalog import Catalog

    if not settings.database_url:
        settings.home.mkdir(parents=True, exist_ok=True)
    return Catalog.open(settings.catalog_url)


def write_once_worm(settings: Settings, store: ObjectStore, key: str, data: bytes, *,
                    content_type: str) -> bool:
    """Also keep a WORM copy of ``data`` at ``key`` in the object-lock bucket when
    ``settings.worm_retain_days > 0`` and the store can lock; returns True when a copy exists."""
    from storage.objects.object_store import LockedObjectStore

    if settings.worm_retain_days <= 0 or not isinstance(store, LockedObjectStore):
        return False
    store.put_locked(key, data, settings.worm_retain_days, content_type=content_type)
    return True


def manifest_writer(settings: Settings, store: ObjectStore) -> Callable[[bytes], tuple[str, str]]:
    """The ``manifest_writer`` of ``storage.versions.commit.commit_version``: a content-addressed blob, plus a WORM
    copy under the same key when configured. Returns ``(key, sha256)``."""
    content_type = "application/x-ndjson"

    def write(data: bytes) -> tuple[str, str]:
        key, sha = store.put_blob(data, content_type=content_type)
        write_once_worm(settings, store, key, data, content_type=content_type)
        return key, sha

    return write


def actor_of(settings: Settings) -> str:
    """Who is acting: ``MASKLOOP_ACTOR`` or the OS user name."""
    if settings.actor:
        return settings.actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
