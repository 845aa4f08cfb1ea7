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

Decoding is sequential by nature (a group's length is in its header). Streams written by
:func:`mask2rle` (word size 8, run groups only) are cut at background runs and parsed in parallel
(the anchored fast path below); any other stream, and any stream the fast path cannot prove right,
goes through the general parser, which handles literal groups and reports malformed input.

Malformed input raises :class:`ui_adapters.errors.InvalidInputError`.
"""

from __future__ import annotations

import bisect
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
    """The stream as a 1-D uint8 array; InvalidInputError unless it is byte values 0..255."""
    if isinstance(rle, (bytes, bytearray)):
        return np.frombuffer(bytes(rle), dtype=np.uint8)
    if isinstance(rle, list):
        try:  # the SDK's list[int]; bytearray() converts a list about 3x faster than bytes()
            return np.frombuffer(bytearray(rle), dtype=np.uint8)
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


def _parse_header(data: np.ndarray) -> tuple[int, int, list[int]]:
    """``(num, word_size, rle_sizes)`` from the 53-bit header of a stream (uint8 bytes)."""
    if data.size * 8 < _HEADER_BITS:
        raise InvalidInputError(f"brush RLE too short ({data.size} bytes) to hold its header")
    head = int.from_bytes(data[:7].tobytes(), "big") >> (56 - _HEADER_BITS)
    num = head >> 21
    word = ((head >> 16) & 31) + 1
    sizes = [((head >> (12 - 4 * k)) & 15) + 1 for k in range(4)]
    if word > 8:
        raise InvalidInputError(f"brush RLE word size {word} > 8 bits is not a Label Studio mask")
    return num, word, sizes


def _decode_runs(rle: bytes | Sequence[int] | np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """Decode a stream into ``(num, lengths, values)``: ``values[i]`` repeated ``lengths[i]`` times.

    ``lengths`` is int64 (each >= 0, summing to ``num``), ``values`` uint8 of the same size; a
    literal value is a run of 1. Streams of word size 8 made only of run groups (all the SDK's
    :func:`mask2rle` output) take the anchored fast path; anything else, or anything the fast path
    is not sure of, goes through :func:`_parse_general`, which also raises the errors.
    """
    data = _as_bytes(rle)
    num, word, sizes = _parse_header(data)
    if num == 0:
        return 0, np.zeros(0, np.int64), np.zeros(0, np.uint8)
    if word == 8:
        runs = _parse_anchored(data, num, sizes)
        if runs is not None:
            return num, runs[0], runs[1]
    lengths, values = _parse_general(data, num, word, sizes)
    return num, lengths, values


# ------------------------------------------------------------------- decoding: anchored fast path
# A group's position depends on every group before it, so a stream cannot be cut anywhere and
# parsed in pieces -- except at "anchors", bits that read 11 00000000 1: in a mask2rle stream
# (word size 8, run groups of whole pixels) that is the end of every run of value 0 (background)
# and the flag of the next group, so the group after each background run starts at an anchor. A few
# anchors are false (the pattern inside a 16-bit run length); the chain check below finds them.
#
# From every anchor at once we read two groups (in a binary mask: a foreground run, then a
# background run) and check that they end exactly on the next anchor. Chains that do not (the last
# one, false anchors, runs split at 65536 values, more than two values in a row) are walked in
# Python, starting from the first group and jumping over every chain that checked out. Landing
# exactly on a known group start proves every group before it, so the result is exact; when in
# doubt (a literal group, a truncated stream, too much to walk) the general parser takes over.


def _chain_starts(data: np.ndarray) -> np.ndarray:
    """Where chains of groups start (int64 bit positions, ascending): the first group, then anchors.

    An anchor is a position ``p`` after the first group and before the last 3 bits where bits
    ``p-10 .. p`` read ``11 00000000 1``: a group that starts right after a run of value 0 written
    by :func:`mask2rle` (its ``n`` ends in ``11`` as runs are whole pixels, ``n = 4 * pixels - 1``,
    then come the 8 value bits and the next flag). Anchors are at least 11 bits apart, so a byte
    holds at most one: at its leading one bit, the rest of the pattern ending the two bytes before.
    """
    # 53k-element uint16 arrays for a 1080p mask: worked in place on few buffers.
    v = data[4:].astype(np.uint16)  # anchors from byte 6 on (bit 48): the header ends at bit 53
    cur = v[2:]
    low = cur >> 1  # becomes the ones from the leading one bit down: (1 << bit_length) - 1
    low |= cur
    tmp = low >> 2
    low |= tmp
    np.right_shift(low, 4, out=tmp)
    low |= tmp
    before = v[:-2] << 8  # the two bytes before
    before |= v[1:-1]
    before ^= low  # the low bit_length + 2 bits of `before` must read 11 0..0: now all ones
    pattern = np.left_shift(low, 2, out=tmp)
    pattern |= 3
    before &= pattern
    hit = before == pattern
    hit &= cur != 0
    idx = np.flatnonzero(hit)
    starts = np.empty(idx.size + 1, dtype=np.int64)
    np.left_shift(idx, 3, out=starts[1:])
    starts[1:] += 56 - np.bitwise_count(low[idx])  # 8 * (idx + 6) + offset of the leading one
    if starts.size > 1 and starts[-1] >= data.size * 8 - 3:
        starts = starts[:-1]
    first = 1 if starts.size > 1 and starts[1] <= _HEADER_BITS else 0
    starts[first] = _HEADER_BITS
    return starts[first:]


def _bit_words(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The stream as native uint64 words for :func:`_windows64`: ``(words, next_words >> 1)``.

    ``words[j]`` holds stream bits ``64j .. 64j+63`` (MSB first), zero padded far enough past the
    end for a window at any position up to ``8 * data.size + 64``.
    """
    n_words = data.size // 8 + 3
    buf = np.zeros(n_words * 8, dtype=np.uint8)
    buf[: data.size] = data
    words = buf.view(">u8").astype(np.uint64)
    return words, words[1:] >> np.uint64(1)


def _windows64(bit_words: tuple[np.ndarray, np.ndarray], pos: np.ndarray) -> np.ndarray:
    """The 64 stream bits from each bit position ``pos`` (int64 >= 0) as uint64, MSB first."""
    words, next_half = bit_words
    j = pos >> 6
    off = (pos & 63).view(np.uint64)
    # next_half >> (63 - off) == next_word >> (64 - off), and is 0 for off == 0 (no 64-bit shift).
    return (words.take(j) << off) | (next_half.take(j) >> (np.uint64(63) - off))


def _group_tables(sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Tables indexed by the 3 header bits of a group, ``flag << 2 | class`` (word size 8).

    Returns ``(bits, shift)``: ``bits`` (int64) is the length of a run group in bits, 0 for a
    literal group (flag 0) so that a chain stalls on it; ``shift`` (uint64) is
    ``64 - rle_size - 8``, so that ``(window << 3) >> shift`` is ``n << 8 | value``.
    """
    bits = np.array([0] * 4 + [3 + s + 8 for s in sizes], dtype=np.int64)
    shift = np.array([56 - s for s in sizes] * 2, dtype=np.uint64)
    return bits, shift


def _parse_anchored(
    data: np.ndarray, num: int, sizes: list[int]
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(lengths, values)`` of a word-size-8 run-group stream, or None to use the general parser.

    Returns only a parse that provably equals the sequential one: every group reached from the
    first, only run groups, lengths summing to exactly ``num``, last group inside the stream.
    ``lengths`` may hold zeros (unused slots, see :func:`_lay_out`).
    """
    nbits = data.size * 8
    starts = _chain_starts(data)  # chain k starts at starts[k]
    bit_words = _bit_words(data)
    group_bits, shift = _group_tables(sizes)
    # Two groups of every chain at once. A window holds 64 bits and a group at most 27, so the
    # window of the second group is the first one shifted past the first group.
    win0 = _windows64(bit_words, starts)
    len0 = group_bits.take((win0 >> np.uint64(61)).view(np.int64))
    win1 = win0 << len0.view(np.uint64)
    pos1 = starts + len0
    pos2 = pos1 + group_bits.take((win1 >> np.uint64(61)).view(np.int64))
    # A stalled chain (literal) stays below its target, so a hit means 1 or 2 run groups.
    one = pos1[:-1] == starts[1:]
    checked = one | (pos2[:-1] == starts[1:])
    walked = _walk_orbit(data, starts, checked, sizes, limit=64 + nbits // 2048)
    if walked is None:
        return None
    segments, end_bit = walked
    if end_bit > nbits:
        return None  # the last group is cut short: the general parser says so
    windows, used = _lay_out(win0, win1, one, segments, bit_words)
    fields = (windows << np.uint64(3)) >> shift.take((windows >> np.uint64(61)).view(np.int64))
    lengths = (fields >> np.uint64(8)).view(np.int64) + 1
    lengths *= used
    if int(lengths.sum()) != num:
        return None  # truncated, or groups past num: the general parser handles both
    return lengths, fields.astype(np.uint8)


def _lay_out(
    win0: np.ndarray,
    win1: np.ndarray,
    one: np.ndarray,
    segments: list[tuple[int, int, list[int]]],
    bit_words: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Windows (uint64) of the groups in stream order, and which of them are on the orbit (bool).

    Chain ``k`` gets two slots: the groups of ``win0[k]`` and ``win1[k]``. The second slot is unused
    when ``one[k]`` (one entry per chain but the last), both are unused off the orbit, and a walked
    chain (see :func:`_walk_orbit`) fills its slots with the groups at its positions, the ones past
    two inserted after them.
    """
    windows = np.stack((win0, win1), axis=1)
    used = np.ones(windows.shape, dtype=bool)
    used[:-1, 1] = ~one
    extra_at: list[int] = []
    extra_pos: list[int] = []
    skip_from = 0
    for begin, end, positions in segments:
        used[skip_from:begin] = False  # chains of false anchors, jumped over
        skip_from = end + 1
        n_slot = min(len(positions), 2)
        if n_slot:
            windows[end, :n_slot] = _windows64(bit_words, np.array(positions[:n_slot], np.int64))
        used[end] = (n_slot >= 1, n_slot >= 2)
        extra_at += [2 * end + 2] * (len(positions) - n_slot)
        extra_pos += positions[2:]
    used[skip_from:] = False
    if not extra_pos:
        return windows.ravel(), used.ravel()
    extra = _windows64(bit_words, np.array(extra_pos, dtype=np.int64))
    return np.insert(windows.ravel(), extra_at, extra), np.insert(used.ravel(), extra_at, True)


def _walk_orbit(
    data: np.ndarray, starts: np.ndarray, checked: np.ndarray, sizes: list[int], limit: int
) -> tuple[list[tuple[int, int, list[int]]], int] | None:
    """Follow the groups from chain 0, jumping over checked chains and walking the others in Python.

    ``checked[k]`` (bool, one per chain but the last) says chain ``k`` lands on ``starts[k + 1]``.
    Returns ``(segments, end_bit)``: segment ``(begin, end, positions)`` stands for the checked
    chains ``begin .. end - 1`` followed by the walked chain ``end`` and its group start positions;
    ``end_bit`` is where the last run group ends. None when more than ``limit`` groups need walking.
    """
    stream = memoryview(np.ascontiguousarray(data))
    group_bits = [3 + s + 8 for s in sizes]
    unchecked = np.flatnonzero(~checked).tolist() + [starts.size - 1]
    if len(unchecked) > limit:
        return None  # e.g. masks of several values: most chains hold 3+ groups
    cap = data.size * 8 - 3
    segments: list[tuple[int, int, list[int]]] = []
    begin = 0
    while True:
        end = unchecked[bisect.bisect_left(unchecked, begin)]
        positions, landed, end_bit = _walk_chain(stream, starts, end, group_bits, cap)
        segments.append((begin, end, positions))
        limit -= len(positions)
        if limit < 0:
            return None
        if landed < 0:
            return segments, end_bit
        begin = landed


def _walk_chain(
    stream: memoryview, starts: np.ndarray, chain: int, group_bits: list[int], cap: int
) -> tuple[list[int], int, int]:
    """Walk chain ``chain`` group by group until it lands on a chain start.

    Returns ``(positions, next_chain, end_bit)``: the run groups' start bits, the chain landed on
    (-1 when the stream ends: position ``cap`` reached or a literal group met) and the bit after
    the last run group. Landing past the next start skips it (a false anchor).
    """
    n_chains = starts.size
    pos = int(starts[chain])
    nxt = chain + 1
    target = int(starts[nxt]) if nxt < n_chains else cap
    positions: list[int] = []
    while pos < cap:
        i = pos >> 3
        if pos & 7 < 6:  # the 3 header bits lie in one byte
            head = (stream[i] >> (5 - (pos & 7))) & 7
        else:  # pos < cap, so the next byte exists
            head = (((stream[i] << 8) | stream[i + 1]) >> (13 - (pos & 7))) & 7
        if head < 4:
            break  # a literal group: only fine if num is reached before it
        positions.append(pos)
        pos += group_bits[head & 3]
        if pos >= target:
            if pos > target:
                nxt = int(np.searchsorted(starts, pos))
            if nxt < n_chains and int(starts[nxt]) == pos:
                return positions, nxt, pos
            target = int(starts[nxt]) if nxt < n_chains else cap
    return positions, -1, pos


# ------------------------------------------------------------------- decoding: general parser
def _parse_general(
    data: np.ndarray, num: int, word: int, sizes: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Parse any stream (literal groups too) into ``(lengths, values)``, see :func:`_decode_runs`.

    Works on the unpacked bits: every bit position gets the position of the next group if a run
    group started there, jumps follow run groups 4 at a time and literal groups are read in Python.
    Raises InvalidInputError for a truncated stream or a literal group running past ``num``.
    """
    nbits = data.size * 8
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
    lengths = lengths[: last + 1].copy()
    lengths[-1] -= int(cum[last]) - num  # a run may reach past num: the SDK stops at num
    return lengths, values[: last + 1]


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


# ------------------------------------------------------------------- decoding: public functions
def decode_rle(rle: bytes | Sequence[int] | np.ndarray) -> np.ndarray:
    """Decode brush RLE to the flat uint8 array of ``num`` values (``H * W * 4`` for a mask)."""
    _, lengths, values = _decode_runs(rle)
    return np.repeat(values, lengths)


def rle_to_mask(rle: bytes | Sequence[int] | np.ndarray, *, height: int, width: int) -> np.ndarray:
    """Decode brush RLE to the ``(height, width)`` uint8 alpha channel (what LS shows as the mask).

    Equal to ``decode_rle(rle).reshape(height, width, 4)[:, :, 3]`` but never builds the RGBA array.
    Raises InvalidInputError when the RLE does not hold ``height * width * 4`` values.
    """
    num, lengths, values = _decode_runs(rle)
    if num != height * width * 4:
        raise InvalidInputError(
            f"brush RLE holds {num} values but a {height}x{width} RGBA mask needs {height * width * 4}"
        )
    counts = lengths >> 2  # pixels, if every run is whole pixels (mask2rle): then the sums agree
    if int(counts.sum()) * 4 != num:
        ends = np.cumsum(lengths)
        counts = ends // 4 - (ends - lengths) // 4  # alpha samples (indices 4k+3) inside each run
    return np.repeat(values, counts).reshape(height, width)
