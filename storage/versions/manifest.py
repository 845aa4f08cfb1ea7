"""Manifest blobs of dataset versions (JSON Lines, UTF-8).

A version's manifest is a *delta* manifest so a commit costs O(changes):

- line 1, the header: ``{"format": "maskloop.manifest.delta/1", "dataset", "number",
  "parent_number", "parent_manifest_sha256", "message", "created_by", "n_members", "n_added",
  "n_updated", "n_removed"}``;
- then one line per changed masklet, sorted by masklet id: ``{"op": "add"|"update"|"remove",
  "masklet_id", "revision", "video_id", "video_sha256", "blob_key", "blob_sha256", "split",
  "origin"}`` (for "remove", the revision that leaves the dataset).

The header names the parent's manifest sha256, so the sha256 of version N pins the full content of
versions 1..N (a hash chain, as in git). :func:`full_manifest` renders the complete membership of a
version (for export and for readers that want one self-contained file).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from storage.audit.chain import canonical_json

if TYPE_CHECKING:
    import pandas as pd

DELTA_FORMAT = "maskloop.manifest.delta/1"
FULL_FORMAT = "maskloop.manifest.full/1"
CHANGE_FIELDS = ("op", "masklet_id", "revision", "video_id", "video_sha256", "blob_key", "blob_sha256",
                 "split", "origin")


def delta_manifest(header: dict, changes: Iterable[dict]) -> bytes:
    """Bytes of a delta manifest: ``header`` (format added) then ``changes`` in the given order."""
    lines = [canonical_json({"format": DELTA_FORMAT, **header})]
    lines.extend(canonical_json({k: change[k] for k in CHANGE_FIELDS}) for change in changes)
    return ("\n".join(lines) + "\n").encode("utf-8")


def full_manifest(*, dataset: str, number: int, delta_sha256: str, members: pd.DataFrame) -> bytes:
    """Self-contained manifest of every member (columns of ``storage.versions.members.version_members``)."""
    header = {"format": FULL_FORMAT, "dataset": dataset, "number": int(number),
              "delta_manifest_sha256": delta_sha256, "n_members": len(members)}
    lines = [canonical_json(header)]
    for row in members.itertuples(index=False):
        lines.append(canonical_json({
            "masklet_id": int(row.masklet_id), "revision": int(row.revision), "video_id": int(row.video_id),
            "video_sha256": row.video_sha256, "blob_key": row.blob_key, "blob_sha256": row.blob_sha256,
            "split": row.split, "origin": row.origin,
        }))
    return ("\n".join(lines) + "\n").encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
