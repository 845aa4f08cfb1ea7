"""COCO RLE helpers: round trips equal pycocotools, garbage is rejected before the C decoder."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pycocotools import mask as mask_utils

from storage.errors import InvalidInputError
from storage.masks.rle import decode_rle, empty_rle, encode_rle, rle_area, rle_bbox, validate_rle


@settings(max_examples=200, deadline=None)
@given(arrays(np.bool_, st.tuples(st.integers(1, 40), st.integers(1, 40))))
def test_round_trip_and_same_bytes_as_pycocotools(mask: np.ndarray) -> None:
    rle = encode_rle(mask)
    assert rle["size"] == list(mask.shape) and isinstance(rle["counts"], str)
    assert np.array_equal(decode_rle(rle), mask)
    reference = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    assert rle["counts"] == reference["counts"].decode("ascii")
    assert rle_area(rle) == int(mask.sum())


def test_large_mask_round_trip_and_box() -> None:
    mask = np.zeros((1080, 1920), dtype=bool)
    mask[100:300, 400:1000] = True
    rle = encode_rle(mask)
    assert np.array_equal(decode_rle(rle), mask)
    assert rle_bbox(rle) == [400.0, 100.0, 600.0, 200.0]
    assert rle_area(empty_rle(4, 5)) == 0


def test_uncompressed_counts_are_accepted() -> None:
    mask = decode_rle({"size": [2, 3], "counts": [1, 2, 3]})
    assert mask.T.ravel().tolist() == [False, True, True, False, False, False]


@pytest.mark.parametrize("rle", [
    {"size": [10, 10], "counts": "zzzz"},  # outside the alphabet
    {"size": [10, 10], "counts": "0"},  # covers 0 pixels
    {"size": [10, 10], "counts": "52"},  # covers too few pixels
    {"size": [3, 3], "counts": "Y"},  # ends inside a value (continuation bit set)
    {"size": [2, 2], "counts": [5]},  # too many pixels
    {"size": [2, 2], "counts": [-1, 5]},  # negative run
    {"size": [10, -1], "counts": "0"},
    {"size": [10], "counts": "0"},
    {"size": ["10", 10], "counts": "0"},
    {"size": [10, 10]},
    {"counts": "0"},
    {"size": [10, 10], "counts": 42},
    "not a dict",
])
def test_garbage_is_invalid_input(rle: object) -> None:
    with pytest.raises(InvalidInputError):
        decode_rle(rle)  # type: ignore[arg-type]


def test_wrong_size_for_the_counts_is_invalid() -> None:
    rle = encode_rle(np.ones((4, 4), dtype=bool))
    with pytest.raises(InvalidInputError, match="cover 16 pixels"):
        validate_rle({"size": [4, 5], "counts": rle["counts"]})


def test_encode_rejects_non_2d() -> None:
    with pytest.raises(InvalidInputError):
        encode_rle(np.zeros((2, 2, 2), dtype=bool))


@settings(max_examples=300, deadline=None)
@given(counts=st.text(alphabet=[chr(c) for c in range(40, 120)], max_size=40),
       size=st.tuples(st.integers(1, 12), st.integers(1, 12)))
def test_fuzzed_counts_either_decode_exactly_or_are_rejected(counts: str, size: tuple[int, int]) -> None:
    """Arbitrary strings never reach pycocotools unless they describe exactly H*W pixels."""
    rle = {"size": list(size), "counts": counts}
    try:
        mask = decode_rle(rle)
    except InvalidInputError:
        return
    assert mask.shape == size
    assert encode_rle(mask)["size"] == list(size)
