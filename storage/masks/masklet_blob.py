"""One masklet revision as one blob: canonical JSON bytes <-> :class:`~storage.records.MaskletBlob`.

Canonical form (so equal content gives equal bytes and one content-addressed key): UTF-8 JSON with
sorted keys, no spaces, one object::

    {"format": "maskloop.masklet/1", "frame_indices": [0, 1, ...],
     "rles": [{"counts": "...", "size": [H, W]}, ...], "scores": [1.0, ...],
     "video_sha256": "<64 hex>"}

``frame_indices`` strictly increase; every RLE has the same size; ``scores`` has one value in
[0, 1] per frame (1.0 for every frame when the record had none).
"""

from __future__ import annotations

import hashlib
import json
import math
import re

from storage.errors import InvalidInputError
from storage.masks.rle import validate_rle
from storage.records import MaskletBlob

BLOB_FORMAT = "maskloop.masklet/1"
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


def make_masklet_blob(
    *, video_sha256: str, frame_indices: list[int] | tuple[int, ...], rles: list[dict] | tuple[dict, ...],
    scores: list[float] | tuple[float, ...] | None = None,
) -> MaskletBlob:
    """Build a validated MaskletBlob (scores default to 1.0 per frame)."""
    blob = MaskletBlob(
        video_sha256=video_sha256,
        frame_indices=tuple(int(i) for i in frame_indices),
        rles=tuple({"size": [int(r["size"][0]), int(r["size"][1])], "counts": r["counts"]} for r in rles),
        scores=tuple(float(s) for s in scores) if scores is not None else tuple(1.0 for _ in frame_indices),
    )
    validate_masklet_blob(blob)
    return blob


def validate_masklet_blob(blob: MaskletBlob) -> None:
    """InvalidInputError unless the blob is self-consistent (see module doc)."""
    if not _SHA_RE.match(blob.video_sha256 or ""):
        raise InvalidInputError("masklet blob video_sha256 must be 64 lower-case hex characters")
    n = len(blob.frame_indices)
    if n == 0:
        raise InvalidInputError("a masklet needs at least one frame")
    if len(blob.rles) != n:
        raise InvalidInputError(f"masklet has {n} frame indices but {len(blob.rles)} RLEs")
    scores = blob.scores or tuple(1.0 for _ in range(n))
    if len(scores) != n:
        raise InvalidInputError(f"masklet has {n} frame indices but {len(scores)} scores")
    if any(not isinstance(i, int) or i < 0 for i in blob.frame_indices):
        raise InvalidInputError("masklet frame indices must be integers >= 0")
    if any(b <= a for a, b in zip(blob.frame_indices, blob.frame_indices[1:])):
        raise InvalidInputError("masklet frame indices must strictly increase")
    if any(not math.isfinite(s) or not 0.0 <= s <= 1.0 for s in scores):
        raise InvalidInputError("masklet scores must be numbers in [0, 1]")
    sizes = {validate_rle(rle) for rle in blob.rles}
    if len(sizes) != 1:
        raise InvalidInputError(f"masklet RLEs have different sizes: {sorted(sizes)}")


def masklet_blob_to_bytes(blob: MaskletBlob) -> bytes:
    """Canonical bytes of a (validated) masklet blob."""
    validate_masklet_blob(blob)
    doc = {
        "format": BLOB_FORMAT,
        "video_sha256": blob.video_sha256,
        "frame_indices": list(blob.frame_indices),
        "rles": [{"size": list(r["size"]), "counts": _counts_str(r["counts"])} for r in blob.rles],
        "scores": [float(s) for s in (blob.scores or tuple(1.0 for _ in blob.frame_indices))],
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("utf-8")


def masklet_blob_sha256(blob: MaskletBlob) -> str:
    """sha256 hex of the canonical bytes (the blob's content address)."""
    return hashlib.sha256(masklet_blob_to_bytes(blob)).hexdigest()


def masklet_blob_from_bytes(data: bytes) -> MaskletBlob:
    """Parse and validate canonical (or any equivalent) masklet JSON bytes."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"masklet blob is not JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != BLOB_FORMAT:
        raise InvalidInputError(f"not a masklet blob of format {BLOB_FORMAT}")
    try:
        return make_masklet_blob(
            video_sha256=doc["video_sha256"],
            frame_indices=doc["frame_indices"],
            rles=doc["rles"],
            scores=doc.get("scores"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError(f"malformed masklet blob: {exc!r}") from exc


def _counts_str(counts: object) -> str:
    if isinstance(counts, bytes):
        return counts.decode("ascii")
    if not isinstance(counts, str):
        raise InvalidInputError("masklet blobs store compressed RLE counts (str)")
    return counts
