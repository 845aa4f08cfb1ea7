"""Automatic masks: seconds for ``frame_masks`` on one 854x480 first frame (App. D.1 grids +
the model's calibrated filters, AutoMaskConfig.for_arch) with ``--model`` (default builtin:default, the lite
network), against the target of issue #14 (<= 10 s per 854x480 first frame).

    nice -n 10 .venv/bin/python bench/bench_automask.py [--model builtin:default]
        [--points-per-layer 32,16,4] [--points-per-batch 0] [--davis SEQ_DIR] [--threads 2]
        [--masklet-frames 0] [--quick]

The frame is the first JPEG of a DAVIS sequence folder (``--davis``, 854x480) or the first frame
of a generated 854x480 clip. ``--points-per-layer``: grid points per side of each crop layer
(e.g. "32" for the full frame only, "32,16,4" the App. D.1 default). ``--points-per-batch``:
prompts decoded together (0 = the per-device default, AutoMaskConfig.batch_for). Before the timed call one
cheap call (a 2x2 grid on the full frame) warms first-call allocations up. ratio = seconds /
10 s (<= 1 meets the target). ``--masklet-frames N`` (default 0: off) also times
``generate_masklets`` over the first N frames (s, masklets per video minute at ``--fps``).
``--quick``: points per layer 16. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from model.automask.config import AutoMaskConfig
from model.automask.frame_masks import frame_masks
from model.automask.masklets import generate_masklets
from model.errors import ModelError
from model.network.refs import load_model
from model.synthetic.generator import generate_clip

HEIGHT, WIDTH = 480, 854
TARGET_S = 10.0


def load_frames(davis: str | None, n: int) -> list[np.ndarray]:
    """``n`` uint8 [H, W, 3] frames: a DAVIS sequence's first JPEGs or a generated 854x480 clip."""
    if davis:
        from PIL import Image

        files = sorted(Path(davis).glob("*.jpg"))[:n]
        if not files:
            sys.exit(f"error: no .jpg frames in {davis}")
        return [np.asarray(Image.open(p).convert("RGB")) for p in files]
    clip = generate_clip(seed=3, n_frames=n, height=HEIGHT, width=WIDTH, n_instruments=3)
    return list(clip.frames)


def main() -> None:
    default = AutoMaskConfig()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="builtin:default",
                        help="model reference (builtin:lite0 = lite network, random decoder)")
    parser.add_argument("--points-per-layer", default=",".join(map(str, default.points_per_layer)),
                        help='grid points per side per crop layer, e.g. "32" or "32,16,4"')
    parser.add_argument("--points-per-batch", type=int, default=0,
                        help="prompts decoded together (0 = per-device default)")
    parser.add_argument("--davis", default=None, help="a DAVIS JPEGImages/480p/<seq> folder")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--masklet-frames", type=int, default=0,
                        help="also time generate_masklets over this many frames (0 = off)")
    parser.add_argument("--fps", type=float, default=24.0,
                        help="video frame rate (for 'per video minute')")
    parser.add_argument("--quick", action="store_true", help="points per layer 16")
    args = parser.parse_args()
    if args.quick:
        args.points_per_layer = "16"
    torch.set_num_threads(args.threads)
    try:
        layers = tuple(int(x) for x in args.points_per_layer.split(",") if x.strip())
        model = load_model(args.model, device="cpu")
        cfg = AutoMaskConfig.for_arch(model.arch.name, points_per_layer=layers,
                                      points_per_batch=args.points_per_batch)
    except (ModelError, ValueError) as exc:
        sys.exit(f"error: {exc}")
    frames = load_frames(args.davis, max(1, args.masklet_frames))
    first = frames[0]
    h, w = first.shape[:2]
    frame_masks(model.network, first, dataclasses.replace(cfg, points_per_layer=(2,)), model.device)
    start = time.perf_counter()
    masks = frame_masks(model.network, first, cfg, model.device)
    first_s = time.perf_counter() - start
    ratio = first_s / TARGET_S
    batch = cfg.batch_for(model.device.type)
    print(f"model {args.model}, points per layer {','.join(map(str, layers))}, "
          f"{batch} prompts per batch, {args.threads} threads", flush=True)
    print(f"first frame {w}x{h}: {len(masks.masks)} masks in {first_s:.2f} s", flush=True)
    print(f"target: <= {TARGET_S:g} s per {WIDTH}x{HEIGHT} first frame (issue #14): ours "
          f"{first_s:.2f} s, ratio {ratio:.2f} (<= 1 meets it)", flush=True)
    result = {
        "bench": "automask", "model": args.model, "frame_size": [h, w],
        "points_per_layer": list(layers), "points_per_batch": batch, "threads": args.threads,
        "pred_iou_thresh": cfg.pred_iou_thresh,
        "stability_score_thresh": cfg.stability_score_thresh,
        "first_frame_s": round(first_s, 2), "first_frame_masks": len(masks.masks),
        "target_s": TARGET_S, "ratio": round(ratio, 3),
    }
    if args.masklet_frames > 0:
        start = time.perf_counter()
        masklets = generate_masklets(model, frames, cfg)
        total_s = time.perf_counter() - start
        video_min = len(frames) / args.fps / 60
        flagged = sum(1 for m in masklets if m.flags)
        print(f"{len(masklets)} masklets ({flagged} flagged) over {len(frames)} frames in "
              f"{total_s:.1f} s", flush=True)
        result.update({
            "frames": len(frames), "masklets": len(masklets), "flagged": flagged,
            "total_s": round(total_s, 2), "video_minutes": round(video_min, 4),
            "masklets_per_video_minute": round(len(masklets) / video_min, 1),
            "compute_s_per_video_minute": round(total_s / video_min, 1),
        })
    print(json.dumps(result))


if __name__ == "__main__":
    main()
