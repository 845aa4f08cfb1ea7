"""S3Store: the object store on any S3-compatible server (MinIO in production, SeaweedFS in tests).

Write-once: a put first stats the key; the same bytes there -> no-op (False), different bytes ->
ConflictError, absent -> put. The sha256 of every object is kept as user metadata ``sha256`` so a
repeated write is checked without downloading. Two racing writers of one key with different bytes
are not detected by S3 itself; our keys are content-addressed or deterministic, so both write the
same bytes.

WORM: with ``object_lock_bucket``, :meth:`put_locked` writes into a bucket created with object lock
(versioning on) and a COMPLIANCE (or GOVERNANCE) retention, so no one -- not even the owner of the
credentials -- can delete or overwrite that version before the retention date.

Errors: minio's ``S3Error`` NoSuchKey/NoSuchBucket -> NotFoundError; connection problems
(urllib3) -> UnavailableError with the endpoint; always ``from exc``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Literal

import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE, GOVERNANCE
from minio.error import MinioException, S3Error
from minio.retention import Retention

from storage.errors import ConflictError, InvalidInputError, NotFoundError, UnavailableError
from storage.objects.keys import validate_key, validate_prefix
from storage.objects.object_store import DEFAULT_CONTENT_TYPE, blob_key_of, sha256_hex

_NOT_FOUND_CODES = {"NoSuchKey", "NoSuchObject", "NoSuchVersion", "NoSuchBucket"}
_SHA_META = "sha256"


class S3Store:
    """Write-once object store in ``bucket`` on the S3 server at ``endpoint`` (``host:port``)."""

    def __init__(
        self,
        endpoint: str,
        *,
        access_key: str | None,
        secret_key: str | None,
        bucket: str,
        region: str = "us-east-1",
        secure: bool = False,
        object_lock_bucket: str | None = None,
        create_buckets: bool = True,
        timeout_s: float = 30.0,
    ) -> None:
        self.endpoint = endpoint
        self.bucket = bucket
        self.object_lock_bucket = object_lock_bucket
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5.0, read=timeout_s),
            maxsize=16,
            retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
        )
        self._client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=http,
        )
        self._buckets_ready = not create_buckets

    def __repr__(self) -> str:
        return f"S3Store(endpoint={self.endpoint!r}, bucket={self.bucket!r})"

    # --- error mapping -------------------------------------------------------------------------
    def _unavailable(self, exc: Exception, what: str) -> UnavailableError:
        return UnavailableError(
            f"S3 server {self.endpoint} is unreachable or failed while {what}: {exc}; "
            "check MASKLOOP_S3_ENDPOINT and that the server runs (maskloop stack status)"
        )

    def _call(self, what: str, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except S3Error as exc:
            if exc.code in _NOT_FOUND_CODES:
                raise NotFoundError(f"{what}: {exc.code} ({exc.message})") from exc
            if exc.code == "AccessDenied":
                raise ConflictError(f"{what}: access denied by the S3 server ({exc.message})") from exc
            raise self._unavailable(exc, what) from exc
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._unavailable(exc, what) from exc
        except ValueError as exc:  # minio-py's own argument checks (bucket names, sizes)
            raise InvalidInputError(f"{what}: {exc}") from exc

    def ensure_buckets(self) -> None:
        """Create the bucket (and the object-lock bucket) when missing. Idempotent."""
        if self._buckets_ready:
            return
        if not self._call("checking bucket", self._client.bucket_exists, self.bucket):
            self._make_bucket(self.bucket, object_lock=False)
        lock = self.object_lock_bucket
        if lock and not self._call("checking bucket", self._client.bucket_exists, lock):
            self._make_bucket(lock, object_lock=True)
        self._buckets_ready = True

    def _make_bucket(self, name: str, *, object_lock: bool) -> None:
        try:
            self._call(f"creating bucket {name}", self._client.make_bucket, name, object_lock=object_lock)
        except UnavailableError as exc:
            cause = exc.__cause__
            if isinstance(cause, S3Error) and cause.code in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                return  # created concurrently
            raise

    # --- protocol ------------------------------------------------------------------------------
    def _existing_sha(self, bucket: str, key: str) -> str | None:
        """sha256 of the object at ``key`` (from metadata, else computed), or None when absent."""
        try:
            stat = self._call(f"reading {key}", self._client.stat_object, bucket, key)
        except NotFoundError:
            return None
        meta = stat.metadata or {}
        stored = meta.get(f"X-Amz-Meta-{_SHA_META}") or meta.get(f"x-amz-meta-{_SHA_META}")
        if stored:
            return str(stored)
        return sha256_hex(self._get(bucket, key))

    def _put(self, bucket: str, key: str, data: bytes, content_type: str, retention: Retention | None) -> bool:
        digest = sha256_hex(data)
        existing = self._existing_sha(bucket, key)
        if existing is not None:
            if existing == digest:
                return False
            raise ConflictError(f"object {key} already holds different bytes; objects are write-once")
        self._call(
            f"writing {key}",
            self._client.put_object,
            bucket,
            key,
            io.BytesIO(data),
            len(data),
            content_type=content_type,
            metadata={_SHA_META: digest},
            retention=retention,
        )
        return True

    def _get(self, bucket: str, key: str) -> bytes:
        response = self._call(f"reading {key}", self._client.get_object, bucket, key)
        try:
            return response.read()
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._unavailable(exc, f"reading {key}") from exc
        finally:
            response.close()
            response.release_conn()

    def put_bytes(self, key: str, data: bytes, *, content_type: str = DEFAULT_CONTENT_TYPE) -> bool:
        validate_key(key)
        self.ensure_buckets()
        return self._put(self.bucket, key, data, content_type, None)

    def get_bytes(self, key: str) -> bytes:
        validate_key(key)
        try:
            return self._get(self.bucket, key)
        except NotFoundError as exc:
            raise NotFoundError(f"object {key} not found in bucket {self.bucket}") from exc

    def exists(self, key: str) -> bool:
        validate_key(key)
        try:
            self._call(f"reading {key}", self._client.stat_object, self.bucket, key)
        except NotFoundError:
            return False
        return True

    def put_blob(self, data: bytes, *, content_type: str = DEFAULT_CONTENT_TYPE) -> tuple[str, str]:
        key, digest = blob_key_of(data)
        self.put_bytes(key, data, content_type=content_type)
        return key, digest

    def presigned_url(self, key: str, *, expires_s: int = 3600) -> str:
        validate_key(key)
        if not 1 <= expires_s <= 7 * 24 * 3600:
            raise InvalidInputError(f"expires_s must be between 1 s and 7 days, got {expires_s}")
        return self._call(
            f"signing {key}",
            self._client.presigned_get_object,
            self.bucket,
            key,
            expires=timedelta(seconds=expires_s),
        )

    def list_keys(self, prefix: str) -> Iterator[str]:
        validate_prefix(prefix)
        objects = self._call("listing", self._client.list_objects, self.bucket, prefix=prefix or None, recursive=True)
        try:
            names = [obj.object_name for obj in objects]
        except S3Error as exc:
            if exc.code == "NoSuchBucket":
                return
            raise self._unavailable(exc, f"listing {prefix!r}") from exc
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise self._unavailable(exc, f"listing {prefix!r}") from exc
        yield from sorted(names)

    # --- WORM ----------------------------------------------------------------------------------
    def _lock_bucket(self) -> str:
        if not self.object_lock_bucket:
            raise InvalidInputError("this S3Store has no object_lock_bucket; pass one to write WORM objects")
        self.ensure_buckets()
        return self.object_lock_bucket

    def put_locked(
        self,
        key: str,
        data: bytes,
        retain_days: int,
        *,
        mode: Literal["COMPLIANCE", "GOVERNANCE"] = "COMPLIANCE",
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> bool:
        """Write ``data`` once into the object-lock bucket, retained ``retain_days`` days (>= 1).

        True: written; False: the same bytes already there. COMPLIANCE retention cannot be shortened
        or bypassed by anyone; GOVERNANCE can be by a user with the bypass permission.
        """
        validate_key(key)
        if retain_days < 1:
            raise InvalidInputError(f"retain_days must be >= 1, got {retain_days}")
        lock_mode = {"COMPLIANCE": COMPLIANCE, "GOVERNANCE": GOVERNANCE}.get(mode)
        if lock_mode is None:
            raise InvalidInputError(f"mode must be COMPLIANCE or GOVERNANCE, got {mode!r}")
        until = (datetime.now(UTC) + timedelta(days=retain_days)).replace(microsecond=0)
        return self._put(self._lock_bucket(), key, data, content_type, Retention(lock_mode, until))

    def get_locked(self, key: str) -> bytes:
        """The bytes of a WORM object (latest version)."""
        validate_key(key)
        return self._get(self._lock_bucket(), key)
