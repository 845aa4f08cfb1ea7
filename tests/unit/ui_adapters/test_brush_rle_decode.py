"""Decoding paths of ui_adapters.brush_rle: the anchored fast path, the general parser, the SDK.

The fast path must give exactly what the general parser gives whenever it answers, must answer
for mask2rle streams of binary masks (that is what makes decoding fast), and must leave every
stream it cannot prove right -- literal groups, truncated or garbage streams -- to the general
parser, which raises InvalidInputError for malformed input.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from label_studio_sdk.converter import brush as sdk

from ui_adapters import brush_rle
from ui_adapters.errors import InvalidInputError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _blobs(h: int, w: int, n: int, seed: int) -> np.ndarray:
    """``n`` random filled ellipses (radii 8..59) on an ``(h, w)`` uint8 mask of 0/255."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((h, w), dtype=bool)
    for _ in range(n):
        cy, cx = rng.integers(0, h), rng.integers(0, w)
        ry, rx = rng.integers(8, 60), rng.integers(8, 60)
        y0, y1 = max(cy - ry, 0), min(cy + ry + 1, h)
        x0, x1 = max(cx - rx, 0), min(cx + rx + 1, w)
        yy, xx = np.mgrid[y0:y1, x0:x1]
        mask[y0:y1, x0:x1] |= ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0
    return mask.astype(np.uint8) * 255


def _paths(rle: list[int]) -> tuple[np.ndarray | None, np.ndarray]:
    """Flat values from the fast path (None if it declines) and from the general parser."""
    data = np.frombuffer(bytes(rle), dtype=np.uint8)
    num, word, sizes = brush_rle._parse_header(data)
    fast = brush_rle._parse_anchored(data, num, sizes) if word == 8 else None
    lengths, values = brush_rle._parse_general(data, num, word, sizes)
    return (None if fast is None else np.repeat(fast[1], fast[0])), np.repeat(values, lengths)


def _group_starts(rle: list[int]) -> list[int]:
    """Start bits of the groups of a run-only stream, read one by one (reference for anchors)."""
    bits = "".join(f"{b:08b}" for b in rle)
    num = int(bits[:32], 2)
    word = int(bits[32:37], 2) + 1
    sizes = [int(bits[37 + 4 * k : 41 + 4 * k], 2) + 1 for k in range(4)]
    pos, done, starts = 53, 0, []
    while done < num:
        assert bits[pos] == "1", "reference walker reads run groups only"
        starts.append(pos)
        size = sizes[int(bits[pos + 1 : pos + 3], 2)]
        done += int(bits[pos + 3 : pos + 3 + size], 2) + 1
        pos += 3 + size + word
    return starts


def _runs_mask(runs: list[tuple[int, int]]) -> np.ndarray:
    """A 1-row mask of ``(value, pixels)`` runs."""
    return np.concatenate([np.full(n, v, np.uint8) for v, n in runs]).reshape(1, -1)


def test_200_blobs_1080p_round_trip_matches_sdk() -> None:
    mask = _blobs(1080, 1920, 200, seed=0)
    rle = sdk.mask2rle(mask)
    assert brush_rle.mask2rle(mask) == rle
    fast, general = _paths(rle)
    assert fast is not None, "a mask2rle stream of a binary mask must take the fast path"
    assert np.array_equal(fast, general)
    assert np.array_equal(brush_rle.rle_to_mask(rle, height=1080, width=1920), mask)
    assert np.array_equal(brush_rle.decode_rle(rle), sdk.decode_rle(rle))


@SETTINGS
@given(
    st.integers(1, 120), st.integers(1, 300), st.integers(0, 12), st.integers(0, 2**32 - 1)
)
def test_binary_blob_masks_take_the_fast_path(h: int, w: int, n: int, seed: int) -> None:
    mask = _blobs(h, w, n, seed)
    rle = sdk.mask2rle(mask)
    fast, general = _paths(rle)
    assert fast is not None
    assert np.array_equal(fast, general)
    assert np.array_equal(brush_rle.rle_to_mask(rle, height=h, width=w), mask)


@SETTINGS
@given(st.integers(1, 60), st.integers(1, 200), st.integers(0, 2**32 - 1), st.floats(0.0, 1.0))
def test_multi_valued_masks_agree_on_both_paths(h: int, w: int, seed: int, density: float) -> None:
    rng = np.random.default_rng(seed)
    mask = np.where(rng.random((h, w)) < density, rng.integers(1, 256, (h, w)), 0).astype(np.uint8)
    mask[rng.random((h, w)) < 0.5] = mask.flat[0]  # longer runs too
    rle = sdk.mask2rle(mask)
    fast, general = _paths(rle)
    assert fast is None or np.array_equal(fast, general)
    assert np.array_equal(brush_rle.rle_to_mask(rle, height=h, width=w), mask)


def test_false_anchors_are_jumped_over() -> None:
    # 3076 pixels = 12304 values: n = 12303 = 0b0011000000001111 holds the anchor pattern.
    runs = [(0, 3076), (255, 40), (0, 3076), (255, 3), (0, 500), (255, 3076), (0, 9)]
    mask = _runs_mask(runs * 3)
    rle = sdk.mask2rle(mask)
    data = np.frombuffer(bytes(rle), dtype=np.uint8)
    starts = set(brush_rle._chain_starts(data).tolist())
    assert starts - set(_group_starts(rle)), "the mask should produce false anchors"
    fast, general = _paths(rle)
    assert fast is not None
    assert np.array_equal(fast, general)
    assert np.array_equal(brush_rle.rle_to_mask(rle, height=1, width=mask.size), mask)


def test_chain_starts_are_the_groups_after_background_runs() -> None:
    mask = _blobs(40, 64, 5, seed=3)
    rle = sdk.mask2rle(mask)
    groups = _group_starts(rle)
    data = np.frombuffer(bytes(rle), dtype=np.uint8)
    bits = "".join(f"{b:08b}" for b in rle)
    after_zero = [p for p in groups[1:] if bits[p - 8 : p] == "0" * 8]
    assert brush_rle._chain_starts(data).tolist() == [53] + after_zero


@pytest.mark.parametrize(
    "runs",
    [
        [(0, 20000), (255, 17000), (0, 3)],  # runs past 65536 values: chains of 3+ groups
        [(255, 40000), (0, 5), (255, 70000), (0, 17000), (255, 1)],
        [(0, 100000)],
        [(255, 100000)],  # no background: nothing to anchor on
        [(0, 1), (255, 1), (0, 1), (255, 2), (0, 3), (255, 4)],
    ],
)
def test_long_and_short_runs(runs: list[tuple[int, int]]) -> None:
    mask = _runs_mask(runs)
    rle = sdk.mask2rle(mask)
    fast, general = _paths(rle)
    assert fast is None or np.array_equal(fast, general)
    assert np.array_equal(brush_rle.rle_to_mask(rle, height=1, width=mask.size), mask)
    assert np.array_equal(brush_rle.decode_rle(rle), np.repeat(mask.ravel(), 4))


def test_literal_groups_go_to_the_general_parser() -> None:
    values = np.array([0] * 8 + [7] + [0] * 8 + [255] * 9 + [3, 4] + [0] * 5, dtype=np.uint8)
    rle = sdk.encode_rle(values)  # isolated values are written as one-value literal groups
    fast, general = _paths(rle)
    assert fast is None
    assert np.array_equal(general, values)
    assert np.array_equal(brush_rle.decode_rle(rle), sdk.decode_rle(rle))


def _with_num(rle: list[int], num: int) -> list[int]:
    return list(num.to_bytes(4, "big")) + rle[4:]


def test_truncated_1080p_streams_raise() -> None:
    mask = _blobs(1080, 1920, 200, seed=1)
    rle = sdk.mask2rle(mask)
    num = mask.size * 4
    # The SDK pads 1..8 zero bits, so cutting 2 bytes always cuts data.
    for bad in (rle[:-2], rle[: len(rle) // 2], rle[:9], _with_num(rle, num + 4)):
        with pytest.raises(InvalidInputError, match="truncated"):
            brush_rle.decode_rle(bad)
        with pytest.raises(InvalidInputError):
            brush_rle.rle_to_mask(bad, height=1080, width=1920)


def test_shorter_num_and_trailing_bytes_decode_like_the_sdk() -> None:
    mask = _blobs(64, 96, 6, seed=2)
    rle = sdk.mask2rle(mask)
    for stream in (_with_num(rle, mask.size * 4 - 6), rle + [255, 255, 255], rle + [0] * 4):
        assert np.array_equal(brush_rle.decode_rle(stream), sdk.decode_rle(stream))


def _decode_or_error(stream: list[int]) -> np.ndarray | None:
    try:
        out = brush_rle.decode_rle(stream)
    except InvalidInputError:
        return None
    assert out.dtype == np.uint8
    return out


@SETTINGS
@given(
    st.integers(1, 600),
    st.lists(st.integers(1, 16), min_size=4, max_size=4),
    st.lists(st.integers(0, 255), max_size=80),
)
def test_garbage_streams_raise_or_match_the_sdk(
    num: int, sizes: list[int], body: list[int]
) -> None:
    header = (num << 21) | (7 << 16)
    for k, size in enumerate(sizes):
        header |= (size - 1) << (12 - 4 * k)
    head = (header << 3).to_bytes(7, "big")  # 53 header bits, then the first 3 body bits
    stream = list(head[:6]) + [head[6] | (body[0] >> 5 if body else 0)] + body[1:]
    ours = _decode_or_error(stream)
    if ours is not None:
        assert np.array_equal(ours, sdk.decode_rle(stream))


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.lists(st.integers(0, 10**6), min_size=1, max_size=6))
def test_corrupted_mask_streams_raise_or_match_the_sdk(seed: int, flips: list[int]) -> None:
    mask = _blobs(24, 40, 3, seed)
    rle = sdk.mask2rle(mask)
    stream = list(rle)
    for flip in flips:
        bit = 53 + flip % (len(stream) * 8 - 53)
        stream[bit >> 3] ^= 0x80 >> (bit & 7)
    ours = _decode_or_error(stream)
    if ours is not None:
        assert np.array_equal(ours, sdk.decode_rle(stream))
