"""Verified download of one large file: stream over HTTP(S), hash while writing, rename last.

The body is streamed with httpx into a temporary file next to the destination and hashed as it
is written; only when the sha256 matches is the file renamed (atomically) to its final name. A
mismatch, an interrupted transfer or any error removes the temporary file, so the destination
either holds verified bytes or does not exist. Failures are one-line flows errors: an
unreachable host or a 5xx answer is UnavailableError, HTTP 404/410 NotFoundError, a wrong digest
ConflictError. URLs are shown without user info or query string (no credentials in messages).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from flows.errors import ConflictError, NotFoundError, UnavailableError

Progress = Callable[[int, int | None], None]
"""``progress(bytes_done, bytes_total_or_None)``, called as the body arrives."""

CHUNK = 1 << 20
CONNECT_TIMEOUT_S = 15.0
READ_TIMEOUT_S = 60.0


def display_url(url: str) -> str:
    """``url`` without user info, query or fragment (safe to print and log)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def download_verified(url: str, dest: Path, *, sha256: str, expected_bytes: int | None = None,
                      progress: Progress | None = None) -> int:
    """Download ``url`` to ``dest`` if its sha256 is ``sha256``; returns the number of bytes.

    ``expected_bytes`` is the size to show progress against when the server sends no length.
    """
    import httpx

    shown = display_url(url)
    made = not dest.parent.exists()
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            digest, n_bytes = _stream(httpx, url, shown, fh, expected_bytes, progress)
            fh.flush()
            os.fsync(fh.fileno())
        got = digest.hexdigest()
        if got != sha256:
            raise ConflictError(
                f"sha256 mismatch for {dest.name} from {shown}: expected {sha256}, got {got} "
                f"({n_bytes} bytes); nothing was cached")
        os.replace(tmp, dest)
        return n_bytes
    finally:
        tmp.unlink(missing_ok=True)
        if made and not dest.exists() and not any(dest.parent.iterdir()):
            dest.parent.rmdir()  # leave no empty folder behind a failed download


def _stream(httpx, url: str, shown: str, fh,  # type: ignore[no-untyped-def]
            expected_bytes: int | None, progress: Progress | None) -> tuple[hashlib._Hash, int]:
    digest = hashlib.sha256()
    n_bytes = 0
    timeout = httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=timeout) as response:
            _check_status(response.status_code, shown)
            length = response.headers.get("content-length")
            total = int(length) if length and length.isdigit() else expected_bytes
            if progress is not None:
                progress(0, total)
            for chunk in response.iter_bytes(CHUNK):
                fh.write(chunk)
                digest.update(chunk)
                n_bytes += len(chunk)
                if progress is not None:
                    progress(n_bytes, total)
    except httpx.InvalidURL as exc:
        raise UnavailableError(f"cannot download from {shown}: invalid URL ({exc})") from exc
    except httpx.UnsupportedProtocol as exc:
        raise UnavailableError(f"cannot download from {shown}: only http:// and https:// URLs "
                               "are supported (check MASKLOOP_SAM2_CHECKPOINT_BASE_URL)") from exc
    except httpx.TimeoutException as exc:
        raise UnavailableError(f"timed out downloading {shown} after {n_bytes} bytes; check the "
                               "network (or a proxy) and run again") from exc
    except httpx.TransportError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnavailableError(f"cannot reach {shown} ({reason}); check the network, or point "
                               "MASKLOOP_SAM2_CHECKPOINT_BASE_URL at a reachable mirror") from exc
    return digest, n_bytes


def _check_status(status: int, shown: str) -> None:
    if status in (404, 410):
        raise NotFoundError(f"no file at {shown} (HTTP {status}); check the checkpoint name and "
                            "MASKLOOP_SAM2_CHECKPOINT_BASE_URL")
    if status in (401, 403):
        raise UnavailableError(f"{shown} refused the download (HTTP {status}); check access to "
                               "the server or mirror")
    if status >= 400:
        raise UnavailableError(f"{shown} answered HTTP {status}; try again later or use a mirror "
                               "(MASKLOOP_SAM2_CHECKPOINT_BASE_URL)")
