"""Benchmark: Label Studio brush RLE encode/decode of 1080p masks, ours vs label_studio_sdk.

Masks: one smooth blob (an ellipse) and 200 random blobs, 1920x1080, values 0/255.
Encode: ``(H, W)`` mask -> brush RLE bytes. Decode: brush RLE -> ``(H, W)`` mask (the SDK path is
``decode_rle(rle).reshape(H, W, 4)[:, :, 3]``, ours is ``rle_to_mask``). Both implementations run in
the same process; timings are the best of N repeats (as ``timeit`` advises on a shared machine),
in milliseconds.

The last line is one JSON object. Its headline figures (``decode_ms``, ``encode_ms``, ``sdk_*_ms``
and the ratios, SDK time / our time) are those of the worst case, the 200-blob mask, named by
``headline``; ``masks`` holds the figures of every mask. ``rust_decode_ms`` is the decode time of
the Rust package label-studio-brush-rle-rs (pinned in the dev extra) on the same RLE in the same
run, RLE -> the (H, W) mask as for the others, and ``rust_ratio`` = its time / ours (>= 1 means we
decode no slower). The targets: decode ratio >= 30, encode ratio >= 10, rust_ratio >= 1.

Run: .venv/bin/python bench/bench_brush_rle.py
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import label_studio_brush_rle_rs as rust
import numpy as np
from label_studio_sdk.converter import brush as sdk

from ui_adapters import brush_rle

H, W = 1080, 1920
HEADLINE = "200_blobs"  # the worst case: the JSON's headline figures are this mask's


def smooth_blob() -> np.ndarray:
    yy, xx = np.mgrid[0:H, 0:W]
    inside = ((yy - 540) / 380.0) ** 2 + ((xx - 900) / 620.0) ** 2 <= 1.0
    return inside.astype(np.uint8) * 255


def many_blobs(n: int = 200, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mask = np.zeros((H, W), dtype=bool)
    for _ in range(n):
        cy, cx = rng.integers(0, H), rng.integers(0, W)
        ry, rx = rng.integers(8, 60), rng.integers(8, 60)
        y0, y1 = max(cy - ry, 0), min(cy + ry + 1, H)
        x0, x1 = max(cx - rx, 0), min(cx + rx + 1, W)
        yy, xx = np.mgrid[y0:y1, x0:x1]
        mask[y0:y1, x0:x1] |= ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0
    return mask.astype(np.uint8) * 255


def best_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    return min(times)


def main() -> None:
    figures: dict[str, dict[str, float]] = {}
    for name, mask in (("smooth_blob", smooth_blob()), (HEADLINE, many_blobs())):
        rle = sdk.mask2rle(mask)
        assert brush_rle.mask2rle(mask) == rle, "encoders disagree"
        sdk_mask = sdk.decode_rle(rle).reshape(H, W, 4)[:, :, 3]
        assert np.array_equal(brush_rle.rle_to_mask(rle, height=H, width=W), sdk_mask)
        assert np.array_equal(rust.decode_rle(rle, False).reshape(H, W, 4)[:, :, 3], sdk_mask)
        row = {
            "enc": best_ms(lambda m=mask: brush_rle.mask2rle(m), 30),
            "dec": best_ms(lambda r=rle: brush_rle.rle_to_mask(r, height=H, width=W), 30),
            "dec_rgba": best_ms(lambda r=rle: brush_rle.decode_rle(r), 15),
            "sdk_enc": best_ms(lambda m=mask: sdk.mask2rle(m), 5),
            "sdk_dec": best_ms(lambda r=rle: sdk.decode_rle(r).reshape(H, W, 4)[:, :, 3], 5),
            "rust_dec": best_ms(lambda r=rle: rust.decode_rle(r, False).reshape(H, W, 4)[:, :, 3], 30),
        }
        print(
            f"{name}: rle {len(rle)} B | encode {row['enc']:.2f} ms (sdk {row['sdk_enc']:.1f} ms, "
            f"x{row['sdk_enc'] / row['enc']:.0f}) | decode {row['dec']:.2f} ms (sdk "
            f"{row['sdk_dec']:.1f} ms, x{row['sdk_dec'] / row['dec']:.0f}; rust "
            f"{row['rust_dec']:.2f} ms, x{row['rust_dec'] / row['dec']:.2f}) | full RGBA decode "
            f"{row['dec_rgba']:.2f} ms"
        )
        figures[name] = {
            "decode_ratio": round(row["sdk_dec"] / row["dec"], 1),
            "encode_ratio": round(row["sdk_enc"] / row["enc"], 1),
            "decode_ms": round(row["dec"], 3),
            "encode_ms": round(row["enc"], 3),
            "sdk_decode_ms": round(row["sdk_dec"], 2),
            "sdk_encode_ms": round(row["sdk_enc"], 2),
            "rust_decode_ms": round(row["rust_dec"], 3),
            "rust_ratio": round(row["rust_dec"] / row["dec"], 2),
        }
    out = {"bench": "brush_rle", "headline": HEADLINE, **figures[HEADLINE]}
    out["masks"] = figures
    print(f"headline figures: the {HEADLINE} mask (worst case)")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
