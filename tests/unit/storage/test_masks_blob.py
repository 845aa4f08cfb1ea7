"""Masklet blobs: canonical bytes (sorted-key JSON), stable sha256, strict validation."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from storage.errors import InvalidInputError
from storage.masks.masklet_blob import (
    make_masklet_blob,
    masklet_blob_from_bytes,
    masklet_blob_sha256,
    masklet_blob_to_bytes,
)
from storage.masks.rle import decode_rle, encode_rle

SHA = "ab" * 32


def _masks(n: int) -> list[dict]:
    out = []
    for k in range(n):
        m = np.zeros((12, 16), dtype=bool)
        m[k:k + 4, 2 * k:2 * k + 5] = True
        out.append(encode_rle(m))
    return out


def test_round_trip_and_canonical_form() -> None:
    blob = make_masklet_blob(video_sha256=SHA, frame_indices=[0, 2, 5], rles=_masks(3), scores=[0.5, 1.0, 0.25])
    data = masklet_blob_to_bytes(blob)
    assert masklet_blob_from_bytes(data) == blob
    doc = json.loads(data)
    assert list(doc) == sorted(doc) and b" " not in data
    assert doc["format"] == "maskloop.masklet/1"
    # equivalent JSON with other key order / whitespace parses to the same blob and sha
    pretty = json.dumps(doc, indent=2).encode()
    assert masklet_blob_sha256(masklet_blob_from_bytes(pretty)) == masklet_blob_sha256(blob)
    assert decode_rle(blob.rles[1]).sum() == 20


def test_scores_default_to_one() -> None:
    blob = make_masklet_blob(video_sha256=SHA, frame_indices=[3], rles=_masks(1))
    assert blob.scores == (1.0,)


@pytest.mark.parametrize("change", [
    {"video_sha256": "XYZ"},
    {"frame_indices": ()},
    {"frame_indices": (0, 0, 1)},
    {"frame_indices": (2, 1, 3)},
    {"frame_indices": (-1, 0, 1)},
    {"scores": (0.5, 2.0, 1.0)},
    {"scores": (0.5, float("nan"), 1.0)},
    {"scores": (1.0,)},
    {"rles": ()},
])
def test_inconsistent_blobs_are_rejected(change: dict) -> None:
    blob = make_masklet_blob(video_sha256=SHA, frame_indices=[0, 1, 2], rles=_masks(3))
    with pytest.raises(InvalidInputError):
        masklet_blob_to_bytes(dataclasses.replace(blob, **change))


def test_mixed_sizes_and_garbage_bytes_are_rejected() -> None:
    rles = _masks(2)
    rles[1] = encode_rle(np.zeros((5, 5), dtype=bool))
    with pytest.raises(InvalidInputError, match="different sizes"):
        make_masklet_blob(video_sha256=SHA, frame_indices=[0, 1], rles=rles)
    for data in [b"\xff\xfe", b"[]", b'{"format": "other"}', b'{"format": "maskloop.masklet/1"}']:
        with pytest.raises(InvalidInputError):
            masklet_blob_from_bytes(data)
