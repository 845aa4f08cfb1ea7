"""LocalStore: the object store as a plain folder (the embedded default).

Key ``a/b/c.jpg`` lives at ``<root>/a/b/c.jpg``. Writes are atomic and write-once: the bytes go to
a temporary file in the target folder, then are hard-linked into place, which fails if the name
already exists (so two writers never overwrite each other); on file systems without hard links it
falls back to ``os.replace`` after an existence check. A crash leaves at worst a ``.tmp-*`` file,
which is never listed. Temporary names start with ``.tmp-``; keys never do (see list_keys).
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from storage.errors import ConflictError, InvalidInputError, NotFoundError, UnavailableError
from storage.objects.keys import validate_key, validate_prefix
from storage.objects.object_store import DEFAULT_CONTENT_TYPE, blob_key_of

_TMP_PREFIX = ".tmp-"


class LocalStore:
    """Write-once object store in a local folder ``root`` (created on first write)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().resolve()

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    # --- helpers -------------------------------------------------------------------------------
    def _path(self, key: str) -> Path:
        path = self.root / validate_key(key)
        if os.path.commonpath([self.root, path]) != str(self.root):  # belt and braces
            raise InvalidInputError(f"object key escapes the store: {key!r}")
        if any(part.startswith(_TMP_PREFIX) for part in Path(key).parts):
            raise InvalidInputError(f"object key segments may not start with {_TMP_PREFIX!r}: {key!r}")
        return path

    def _same_bytes(self, path: Path, data: bytes) -> bool:
        return path.stat().st_size == len(data) and path.read_bytes() == data

    # --- protocol ------------------------------------------------------------------------------
    def put_bytes(self, key: str, data: bytes, *, content_type: str = DEFAULT_CONTENT_TYPE) -> bool:
        """Write ``data`` at ``key`` once (True); False when the same bytes are already there."""
        path = self._path(key)
        if path.is_file():
            if self._same_bytes(path, data):
                return False
            raise ConflictError(f"object {key} already holds different bytes; objects are write-once")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=path.parent)
        except OSError as exc:
            raise UnavailableError(f"cannot write to the object folder {self.root}: {exc}") from exc
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            return self._publish(tmp, path, key, data)
        finally:
            tmp.unlink(missing_ok=True)

    def _publish(self, tmp: Path, path: Path, key: str, data: bytes) -> bool:
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            if self._same_bytes(path, data):
                return False
            raise ConflictError(f"object {key} already holds different bytes; objects are write-once") from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                raise UnavailableError(f"cannot write object {key} under {self.root}: {exc}") from exc
        os.replace(tmp, path)  # no hard links here: the existence check above guards overwrites
        return True

    def get_bytes(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise NotFoundError(f"object {key} not found in {self.root}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def put_blob(self, data: bytes, *, content_type: str = DEFAULT_CONTENT_TYPE) -> tuple[str, str]:
        key, digest = blob_key_of(data)
        self.put_bytes(key, data, content_type=content_type)
        return key, digest

    def presigned_url(self, key: str, *, expires_s: int = 3600) -> str:
        """A ``file://`` URL of the object (local files need no signature; ``expires_s`` unused)."""
        return self._path(key).as_uri()

    def list_keys(self, prefix: str) -> Iterator[str]:
        """Keys starting with ``prefix``, sorted; walks only the folder the prefix points into."""
        validate_prefix(prefix)
        base_dir = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not base_dir.is_dir():
            return
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(base_dir):
            dirnames[:] = [d for d in dirnames if not d.startswith(_TMP_PREFIX)]
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            for name in filenames:
                if name.startswith(_TMP_PREFIX):
                    continue
                key = name if rel_dir == "." else f"{rel_dir}/{name}"
                if key.startswith(prefix):
                    found.append(key)
        yield from sorted(found)
