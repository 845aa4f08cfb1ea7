"""Label Studio brush RLE codec, vectorized with numpy.

The format is thi.ng ``rle-pack`` as ported by ``label_studio_sdk.converter.brush``:

    header: num (32 bits) | word_size - 1 (5 bits) | 4 x (rle_size - 1) (4 bits each)
    groups: flag (1 bit) | size class c (2 bits) | n (rle_sizes[c] bits) | ...
            flag 1: a run of n + 1 copies of one value (word_size bits)
            flag 0: n + 1 literal values (word_size bits each)

Label Studio stores a brush mask as the RGBA image flattened (``H * W * 4`` values, each pixel
repeated 4 times by :func:`mask2rle`), and reads the mask back from the alpha channel.

Public functions (all byte-identical to the SDK on valid input, and much faster):

- :func:`encode_rle` -- 1-D uint8 values -> ``list[int]`` of bytes (SDK ``encode_rle``).
- :func:`mask2rle` -- ``(H, W)`` uint8 (or int in 0..255) mask -> ``list[int]`` (SDK ``mask2rle``).
- :func:`decode_rle` -- ``list[int]``/bytes -> flat uint8 array of length ``num`` (SDK ``decode_rle``).
- :func:`rle_to_mask` -- brush RLE -> ``(H, W)`` uint8 alpha channel without building RGBA.
- :func:`binary_mask_to_rle` -- ``(H, W)`` bool/0-1 mask -> brush RLE with 0/255 values.

Malformed input raises :class:`ui_adapters.errors.InvalidInputError`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ui_adapters.errors import InvalidInputError

#: Run-size classes the SDK encoder always writes (bits of ``n`` per class).
SDK_RLE_SIZES: tuple[int, int, int, int] = (3, 4, 8, 16)
_HEADER_BITS = 32 + 5 + 16
_MAX_RUN = 1 << 16  # longest run one class-3 group holds in the SDK encoder
_PAD_BITS = 64  # > 2 * (3 + 16 + 8): zero bits appended before decoding


# ----------------------------------------------------------------------------------- encoding
def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run starts (int64, into ``values``) and run values of a 1-D array."""
    change = np.flatnonzero(values[1:] != values[:-1]) + 1
    starts = np.concatenate(([0], change))
    return starts, values[starts]


def _encode_runs(lengths: np.ndarray, values: np.ndarray, num: int) -> list[int]:
    """Pack runs (``lengths`` int64 >= 1, ``values`` uint8) the way the SDK's ``encode_rle`` does."""
    lengths = lengths.astype(np.int64, copy=False)
    values = values.astype(np.uint64)
    # Runs longer than 256 use class 3; runs over 65536 are split into 65536-long chunks + remainder.
    n_full = np.where(lengths > 256, (lengths - 1) // _MAX_RUN, 0)
    if n_full.any():
        reps = n_full + 1
        last = np.cumsum(reps) - 1
        lens = np.repeat(lengths, reps)
        is_last = np.zeros(lens.size, dtype=bool)
        is_last[last] = True
        lens = np.where(is_last, lens - np.repeat(n_full, reps) * _MAX_RUN, _MAX_RUN)
        force3 = ~is_last | np.repeat(lengths > 256, reps)
        vals = np.repeat(values, reps)
    else:
        lens, vals, force3 = lengths, values, lengths > 256
    cls = np.select([lens <= 8, lens <= 16, lens <= 256], [0, 1, 2], 3).astype(np.uint64)
    cls = np.where(force3, np.uint64(3), cls)
    nbits = np.array(SDK_RLE_SIZES, dtype=np.uint64)[cls.astype(np.intp)]
    flag = ((lens > 1) | force3).astype(np.uint64)  # a single value is written as a one-value literal group
    code = (
        (flag << (nbits + np.uint64(10)))
        | (cls << (nbits + np.uint64(8)))
        | ((lens.astype(np.uint64) - np.uint64(1)) << np.uint64(8))
        | vals
    )
    width = (nbits + np.uint64(11)).astype(np.int64)  # 1 + 2 + n bits + 8 value bits
    # Expand each code to its low `width` bits (MSB first) and pack.
    as_bytes = code.astype(">u4").view(np.uint8).reshape(-1, 4)
    bits = np.unpackbits(as_bytes, axis=1)
    keep = np.arange(32)[None, :] >= (32 - width)[:, None]
    header_bits = f"{num:032b}{7:05b}" + "".join(f"{s - 1:04b}" for s in SDK_RLE_SIZES)
    stream = np.concatenate(
        (np.frombuffer(header_bits.encode("ascii"), dtype=np.uint8) - ord("0"), bits[keep])
    )
    total = stream.size
    packed = np.packbits(stream)
    if total % 8 == 0:  # the SDK always appends 1..8 zero bits, so a whole zero byte here
        packed = np.concatenate((packed, np.zeros(1, dtype=np.uint8)))
    return packed.tolist()


def encode_rle(values: np.ndarray | Sequence[int]) -> list[int]:
    """Encode a 1-D array of values in 0..255 (any int dtype) to brush RLE bytes (list of int)."""
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.size == 0:
        raise InvalidInputError(f"encode_rle needs a non-empty 1-D array, got shape {arr.shape}")
    _check_byte_values(arr)
    starts, vals = _runs(arr)
    lengths = np.diff(np.append(starts, arr.size))
    return _encode_runs(lengths, vals.astype(np.uint8), arr.size)


def mask2rle(mask: np.ndarray) -> list[int]:
    """Encode an ``(H, W)`` mask of values 0..255 as LS brush RLE (each pixel repeated 4x, RGBA).

    Same bytes as ``label_studio_sdk.converter.brush.mask2rle``; the RGBA array is never built.
    """
    arr = np.asarray(mask)
    if arr.ndim != 2 or arr.size == 0:
        raise InvalidInputError(f"mask2rle needs a non-empty 2-D mask, got shape {arr.shape}")
    if arr.dtype == np.bool_:
        raise InvalidInputError("mask2rle takes 0..255 values; use binary_mask_to_rle for bool masks")
    _check_byte_values(arr)
    flat = arr.ravel()
    starts, vals = _runs(flat)
    lengths = np.diff(np.append(starts, flat.size)) * 4
    return _encode_runs(lengths, vals.astype(np.uint8), flat.size * 4)


def binary_mask_to_rle(mask: np.ndarray) -> list[int]:
    """Encode an ``(H, W)`` binary mask (bool or 0/1) as brush RLE with values 0 and 255."""
    arr = np.asarray(mask)
    if arr.ndim != 2:
        raise InvalidInputError(f"binary mask must be 2-D, got shape {arr.shape}")
    return mask2rle((arr != 0).astype(np.uint8) * np.uint8(255))


def _check_byte_values(arr: np.ndarray) -> None:
    if not np.issubdtype(arr.dtype, np.integer) and arr.dtype != np.bool_:
        raise InvalidInputError(f"mask values must be integers 0..255, got dtype {arr.dtype}")
    if arr.dtype != np.uint8 and arr.size and (arr.min() < 0 or arr.max() > 255):
        raise InvalidInputError("mask values must lie in 0..255")


# ----------------------------------------------------------------------------------- decoding
def _as_bytes(rle: bytes | bytearray | Sequence[int] | np.ndarray) -> np.ndarray:
    if isinstance(rle, (bytes, bytearray)):
        return np.frombuffer(bytes(rle), dtype=np.uint8)
    if isinstance(rle, list):
        try:
            return np.frombuffer(bytes(rle), dtype=np.uint8)  # fast path for the SDK's list[int]
        except (TypeError, ValueError):
            pass  # fall through for a precise error
    try:
        arr = np.asarray(rle)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError("brush RLE must be a list of byte values 0..255") from exc
    if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
        raise InvalidInputError("brush RLE must be a flat list of integers 0..255")
    if arr.size and (arr.min() < 0 or arr.max() > 255):
        raise InvalidInputError("brush RLE holds a value outside 0..255")
    return arr.astype(np.uint8)


def _windows(data: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """The 57+ bits starting at each bit position ``pos`` as uint64 (MSB = bit at pos)."""
    padded = np.concatenate((data, np.zeros(8, dtype=np.uint8)))
    words = np.ndarray(shape=(data.size + 1,), dtype=">u8", buffer=padded.data, strides=(1,))
    pos = np.minimum(pos, data.size * 8)
    return words[pos >> 3].astype(np.uint64) << (pos & 7).astype(np.uint64)


def _field(win: np.ndarray, offset: np.ndarray | int, width: np.ndarray | int) -> np.ndarray:
    """Unsigned field of ``width`` bits at bit ``offset`` of 64-bit windows ``win``."""
    off = np.asarray(offset, dtype=np.uint64)
    w = np.asarray(width, dtype=np.uint64)
    return (win << off) >> (np.uint64(64) - w)


def _parse(rle: bytes | Sequence[int] | np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """Parse a stream into ``(num, value_start, values)``: value i covers [start_i, start_i+1).

    ``value_start`` is int64 (ascending, first 0), ``values`` uint8; runs and literal values are
    both represented as runs (a literal value is a run of 1).
    """
    data = _as_bytes(rle)
    nbits = data.size * 8
    if nbits < _HEADER_BITS:
        raise InvalidInputError(f"brush RLE too short ({data.size} bytes) to hold its header")
    head = int.from_bytes(data[:7].tobytes(), "big") >> (56 - _HEADER_BITS)
    num = head >> 21
    word = ((head >> 16) & 31) + 1
    sizes = [((head >> (12 - 4 * k)) & 15) + 1 for k in range(4)]
    if word > 8:
        raise InvalidInputError(f"brush RLE word size {word} > 8 bits is not a Label Studio mask")
    if num == 0:
        return 0, np.zeros(0, np.int64), np.zeros(0, np.uint8)
    # Bits padded with zeros so that every jump below stays inside the arrays (max group: 27 bits).
    bits = np.unpackbits(np.concatenate((data, np.zeros(_PAD_BITS // 8, dtype=np.uint8))))
    # For every bit position p: where the next group starts if a run group (flag 1) starts at p;
    # size class c = (b1, b2) picks sizes[c], written as a polynomial in the bits (no gather).
    # A literal (flag 0) loops onto itself and is resolved in Python.
    s0, s1, s2, s3 = sizes
    coef = (s1 - s0, s2 - s0, s3 - s2 - s1 + s0)
    b = bits if min(coef) >= 0 else bits.astype(np.int16)  # uint8 suffices for sorted sizes
    b0, b1, b2 = b[:-2], b[1:-1], b[2:]
    size_at = b2 * b.dtype.type(coef[0]) + b1 * b.dtype.type(coef[1])
    size_at += (b1 & b2) * b.dtype.type(coef[2])
    size_at += b.dtype.type(3 + word + s0)
    size_at *= b0
    step = np.arange(bits.size, dtype=np.int32)
    step[:-2] += size_at
    # Jump 4 groups at a time through run groups (a literal stops the jump); literals in Python.
    step2 = step.take(step)
    j4 = memoryview(step2.take(step2))
    bit = memoryview(bits)
    sparse: list[int] = []
    literals: list[tuple[int, int]] = []  # (group start, value count)
    p = _HEADER_BITS
    cap_bits = nbits - 3
    while p < cap_bits:
        if bit[p]:
            sparse.append(p)
            p = j4[p]
        else:
            c = sizes[(bit[p + 1] << 1) | bit[p + 2]]
            n = _read_bits(data, p + 3, c) + 1
            literals.append((p, n))
            p = p + 3 + c + word * n
    run_at = bits
    size_tab = np.array(sizes, dtype=np.int64)
    # Rows of up to 4 consecutive run groups per sparse start.
    sp = np.array(sparse, dtype=np.int64)
    s2 = step2[sp]
    rows = np.stack((sp, step[sp], s2, step[s2]), axis=1).astype(np.int64)
    ok = np.ones(rows.shape, dtype=bool)
    ok[:, 1:] = rows[:, 1:] > rows[:, :-1]
    rs = rows[ok]
    rs = rs[(rs < cap_bits) & (run_at[rs] == 1)]
    win = _windows(data, rs)
    c = ((win >> np.uint64(61)) & np.uint64(3)).astype(np.intp)
    nb = size_tab[c]
    run_len = _field(win, 3, nb).astype(np.int64) + 1
    run_val = _field(win, 3 + nb, word).astype(np.uint8)
    run_end = rs + 3 + nb + word
    group_id = np.full(rs.size, -1, dtype=np.int64)
    if literals:
        lit = np.array(literals, dtype=np.int64)
        counts = lit[:, 1]
        first = lit[:, 0] + 3 + size_tab[_classes(data, lit[:, 0])]
        vpos = np.repeat(first, counts) + word * _ranks(counts)
        lit_val = _field(_windows(data, vpos), 0, word).astype(np.uint8)
        order = np.argsort(np.concatenate((rs, vpos)), kind="stable")
        values = np.concatenate((run_val, lit_val))[order]
        lengths = np.concatenate((run_len, np.ones(vpos.size, np.int64)))[order]
        ends_bits = np.concatenate((run_end, vpos + word))[order]
        lit_ids = np.repeat(np.arange(counts.size), counts)
        group_id = np.concatenate((group_id, lit_ids))[order]
    else:
        values, lengths, ends_bits = run_val, run_len, run_end
    cum = np.cumsum(lengths)
    if cum.size == 0 or cum[-1] < num:
        raise InvalidInputError(
            f"brush RLE is truncated: it decodes {int(cum[-1]) if cum.size else 0} of {num} values"
        )
    last = int(np.searchsorted(cum, num))  # first group reaching num
    if ends_bits[last] > nbits:
        raise InvalidInputError("brush RLE is truncated inside its last group")
    if last + 1 < group_id.size and group_id[last] >= 0 and group_id[last + 1] == group_id[last]:
        raise InvalidInputError("brush RLE literal group runs past the declared length")
    starts = np.concatenate(([0], cum[:last]))
    return num, starts, values[: last + 1]


def _classes(data: np.ndarray, pos: np.ndarray) -> np.ndarray:
    win = _windows(data, pos)
    return ((win >> np.uint64(61)) & np.uint64(3)).astype(np.intp)


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, .., c-1 for each count c, concatenated (int64)."""
    total = int(counts.sum())
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(total, dtype=np.int64) - offsets


def _read_bits(data: np.ndarray, pos: int, width: int) -> int:
    start = pos >> 3
    chunk = int.from_bytes(data[start : start + 4].tobytes().ljust(4, b"\x00"), "big")
    return (chunk >> (32 - (pos & 7) - width)) & ((1 << width) - 1)


def decode_rle(rle: bytes | Sequence[int] | np.ndarray) -> np.ndarray:
    """Decode brush RLE to the flat uint8 array of ``num`` values (``H * W * 4`` for a mask)."""
    num, starts, values = _parse(rle)
    lengths = np.diff(np.append(starts, num))
    return np.repeat(values, lengths)


def rle_to_mask(rle: bytes | Sequence[int] | np.ndarray, *, height: int, width: int) -> np.ndarray:
    """Decode brush RLE to the ``(height, width)`` uint8 alpha channel (what LS shows as the mask).

    Equal to ``decode_rle(rle).reshape(height, width, 4)[:, :, 3]`` but never builds the RGBA array.
    Raises InvalidInputError when the RLE does not hold ``height * width * 4`` values.
    """
    num, starts, values = _parse(rle)
    if num != height * width * 4:
        raise InvalidInputError(
            f"brush RLE holds {num} values but a {height}x{width} RGBA mask needs {height * width * 4}"
        )
    ends = np.append(starts[1:], num)
    counts = ends // 4 - starts // 4  # alpha samples (indices 4k+3) inside each run
    return np.repeat(values, counts).reshape(height, width)
