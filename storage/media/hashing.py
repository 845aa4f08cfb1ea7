"""Content hashes of files (the identity of a video in the catalog)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

_CHUNK = 1 << 20  # 1 MiB


def sha256_file(path: Path) -> str:
    """Lower-case hex sha256 of the bytes of ``path``, read in 1 MiB chunks."""
    return sha256_files([path])


def sha256_files(paths: Iterable[Path]) -> str:
    """Hex sha256 over the bytes of ``paths`` concatenated in the given order (frame folders)."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()
