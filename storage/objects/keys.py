"""Validation of object keys: every key that reaches a store goes through :func:`validate_key`.

A key is a ``/``-separated relative path such as ``videos/<sha>/frames/000000.jpg``. Keys come
from our own code, but also from manifests and import files, so hostile keys are rejected before
they touch a file system or a bucket: ``..`` or ``.`` segments, absolute paths, empty segments
(``a//b``, trailing ``/``), backslashes, NUL and other control characters, and keys longer than
1024 bytes in UTF-8 (the S3 limit).
"""

from __future__ import annotations

from storage.errors import InvalidInputError

MAX_KEY_BYTES = 1024


def _has_control_char(text: str) -> bool:
    return any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text)


def validate_key(key: str) -> str:
    """Return ``key`` unchanged when it is a safe object key; raise InvalidInputError otherwise."""
    if not isinstance(key, str) or not key:
        raise InvalidInputError("object key must be a non-empty string")
    shown = key.encode("unicode_escape").decode("ascii")[:80]
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidInputError(f"object key is longer than {MAX_KEY_BYTES} bytes: {shown}...")
    if _has_control_char(key):
        raise InvalidInputError(f"object key contains a control character: {shown!r}")
    if "\\" in key:
        raise InvalidInputError(f"object key contains a backslash: {shown!r}; use '/' separators")
    if key.startswith("/"):
        raise InvalidInputError(f"object key must be relative, not absolute: {shown!r}")
    for segment in key.split("/"):
        if segment == "":
            raise InvalidInputError(f"object key has an empty segment: {shown!r}")
        if segment in (".", ".."):
            raise InvalidInputError(f"object key has a '{segment}' segment (path traversal): {shown!r}")
    return key


def validate_prefix(prefix: str) -> str:
    """Validate a listing prefix: empty, or a key prefix that may end with ``/``."""
    if prefix == "":
        return prefix
    validate_key(prefix.removesuffix("/"))
    return prefix
