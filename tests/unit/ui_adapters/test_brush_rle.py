"""Property tests: ui_adapters.brush_rle is byte-identical to label_studio_sdk.converter.brush."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from label_studio_sdk.converter import brush as sdk

from ui_adapters import brush_rle
from ui_adapters.errors import InvalidInputError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_same(mask: np.ndarray) -> None:
    ours = brush_rle.mask2rle(mask)
    theirs = sdk.mask2rle(mask)
    assert ours == theirs
    flat = brush_rle.decode_rle(theirs)
    assert flat.dtype == np.uint8
    assert np.array_equal(flat, sdk.decode_rle(theirs))
    alpha = brush_rle.rle_to_mask(theirs, height=mask.shape[0], width=mask.shape[1])
    assert np.array_equal(alpha, mask.astype(np.uint8))


@st.composite
def random_masks(draw: st.DrawFn) -> np.ndarray:
    h = draw(st.integers(1, 40))
    w = draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    density = draw(st.floats(0.0, 1.0))
    rng = np.random.default_rng(seed)
    values = draw(st.sampled_from([(0, 255), (0, 1), (0, 128, 255)]))
    mask = np.where(rng.random((h, w)) < density, values[-1], values[0]).astype(np.uint8)
    if len(values) == 3:
        mask[rng.random((h, w)) < 0.1] = values[1]
    return mask


@st.composite
def blob_masks(draw: st.DrawFn) -> np.ndarray:
    """Realistic masks: a few filled disks and rectangles, odd sizes, long runs."""
    h = draw(st.integers(1, 300))
    w = draw(st.integers(1, 300))
    n = draw(st.integers(0, 6))
    yy, xx = np.mgrid[0:h, 0:w]
    mask = np.zeros((h, w), dtype=bool)
    for _ in range(n):
        cy, cx = draw(st.integers(0, h - 1)), draw(st.integers(0, w - 1))
        r = draw(st.integers(1, max(h, w)))
        if draw(st.booleans()):
            mask |= (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        else:
            mask |= (abs(yy - cy) <= r // 2) & (abs(xx - cx) <= r)
    return mask.astype(np.uint8) * 255


@SETTINGS
@given(random_masks())
def test_random_masks_match_sdk(mask: np.ndarray) -> None:
    _assert_same(mask)


@SETTINGS
@given(blob_masks())
def test_blob_masks_match_sdk(mask: np.ndarray) -> None:
    _assert_same(mask)


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (7, 1), (33, 65), (257, 255), (300, 300)])
@pytest.mark.parametrize("fill", [0, 255, "pixel", "int64"])
def test_edge_masks(shape: tuple[int, int], fill: object) -> None:
    if fill == "pixel":
        mask = np.zeros(shape, np.uint8)
        mask[shape[0] // 2, shape[1] // 2] = 255
    elif fill == "int64":
        mask = np.arange(shape[0] * shape[1], dtype=int).reshape(shape) % 3 * 100
    else:
        mask = np.full(shape, fill, np.uint8)
    _assert_same(mask)


@pytest.mark.parametrize("n", [1, 2, 8, 9, 16, 17, 256, 257, 65536, 65537, 131072, 131073, 200001])
def test_encode_rle_run_lengths_around_class_limits(n: int) -> None:
    arr = np.full(n, 7, np.uint8)
    arr[-1] = 9
    assert brush_rle.encode_rle(arr) == sdk.encode_rle(arr)
    assert np.array_equal(brush_rle.decode_rle(sdk.encode_rle(arr)), arr)


@SETTINGS
@given(st.lists(st.integers(0, 255), min_size=1, max_size=400))
def test_encode_rle_arbitrary_values(values: list[int]) -> None:
    arr = np.array(values, dtype=np.uint8)
    assert brush_rle.encode_rle(arr) == sdk.encode_rle(arr)
    assert np.array_equal(brush_rle.decode_rle(brush_rle.encode_rle(arr)), arr)


def _thing_encode(values: list[int], word: int, sizes: list[int]) -> list[int]:
    """Reference thi.ng rle-pack encoder (what the Label Studio editor writes): literal chunks too."""
    out = [f"{len(values):032b}", f"{word - 1:05b}"] + [f"{s - 1:04b}" for s in sizes]
    limits = [1 << s for s in sizes]

    def cls(n: int) -> int:
        return next(k for k, lim in enumerate(limits) if n < lim)

    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[i] and j + 1 - i < limits[3] - 1:
            j += 1
        if j > i:
            n = j - i
            c = cls(n)
            out.append(f"1{c:02b}{n:0{sizes[c]}b}{values[i]:0{word}b}")
            i = j + 1
            continue
        k = i  # literal chunk: values that differ from their successor
        while k + 1 < len(values) and values[k + 1] != values[k] and k + 1 - i < limits[3] - 1:
            k += 1
        chunk = values[i : k + 1] if k + 1 >= len(values) else values[i:k] or values[i : i + 1]
        n = len(chunk) - 1
        c = cls(n)
        out.append(f"0{c:02b}{n:0{sizes[c]}b}" + "".join(f"{v:0{word}b}" for v in chunk))
        i += len(chunk)
    bits = "".join(out)
    bits += "0" * (-len(bits) % 8)
    return [int(bits[k : k + 8], 2) for k in range(0, len(bits), 8)]


@SETTINGS
@given(
    st.lists(st.integers(0, 3), min_size=1, max_size=300),
    st.integers(2, 8),
    st.lists(st.integers(1, 16), min_size=4, max_size=4),
)
def test_decode_editor_streams_with_literals(values: list[int], word: int, sizes: list[int]) -> None:
    values = [v % (1 << word) for v in values]
    stream = _thing_encode(values, word, sizes)
    ours = brush_rle.decode_rle(stream)
    assert np.array_equal(ours, sdk.decode_rle(stream))
    assert ours.tolist() == values


def test_binary_mask_to_rle_uses_255() -> None:
    mask = np.zeros((4, 5), dtype=bool)
    mask[1:3, 2:4] = True
    rle = brush_rle.binary_mask_to_rle(mask)
    assert rle == sdk.mask2rle(mask.astype(np.uint8) * 255)


@pytest.mark.parametrize(
    "bad",
    [[], [1, 2, 3], sdk.mask2rle(np.ones((4, 4), np.uint8))[:-3], [0, 0, 0, 9, 255, 255, 255, 255, 256]],
)
def test_malformed_streams_raise(bad: list[int]) -> None:
    with pytest.raises(InvalidInputError):
        brush_rle.decode_rle(bad)


def test_wrong_size_raises() -> None:
    rle = sdk.mask2rle(np.ones((4, 4), np.uint8))
    with pytest.raises(InvalidInputError, match="4x5"):
        brush_rle.rle_to_mask(rle, height=4, width=5)


@pytest.mark.parametrize("mask", [np.zeros((0, 3), np.uint8), np.zeros(5, np.uint8), np.full((2, 2), 300)])
def test_bad_masks_raise(mask: np.ndarray) -> None:
    with pytest.raises(InvalidInputError):
        brush_rle.mask2rle(mask)
