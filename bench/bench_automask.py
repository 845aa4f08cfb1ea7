"""Automatic masklets: seconds for the first frame (App. D.1 grids + official filters) and
masklets per minute of video, on a DAVIS sequence (if given) or a generated clip.

    .venv/bin/python bench/bench_automask.py [--model builtin:default] [--davis SEQ_DIR] [--frames 24]

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from model.automask.config import AutoMaskConfig
from model.automask.frame_masks import frame_masks
from model.automask.masklets import generate_masklets
from model.network.refs import load_model
from model.synthetic.generator import generate_clip


def load_frames(args) -> list[np.ndarray]:
    if args.davis:
        from PIL import Image

        files = sorted(Path(args.davis).glob("*.jpg"))[: args.frames]
        return [np.asarray(Image.open(p).convert("RGB")) for p in files]
    return list(generate_clip(seed=3, n_frames=args.frames, height=480, width=854, n_instruments=3).frames)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="builtin:default")
    parser.add_argument("--davis", default=None, help="a DAVIS JPEGImages/480p/<seq> folder")
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--fps", type=float, default=24.0, help="video frame rate (for 'per minute')")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pred-iou", type=float, default=0.8, help="pred_iou_thresh (official 0.8)")
    parser.add_argument("--stability", type=float, default=0.95, help="stability_score_thresh (official 0.95)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = load_model(args.model, device="cpu")
    frames = load_frames(args)
    cfg = AutoMaskConfig(pred_iou_thresh=args.pred_iou, stability_score_thresh=args.stability)
    start = time.perf_counter()
    first = frame_masks(model.network, frames[0], cfg, model.device)
    first_s = time.perf_counter() - start
    print(f"first frame {frames[0].shape[1]}x{frames[0].shape[0]}: {len(first.masks)} masks in {first_s:.1f} s",
          flush=True)
    start = time.perf_counter()
    masklets = generate_masklets(model, frames, cfg)
    total_s = time.perf_counter() - start
    video_min = len(frames) / args.fps / 60
    flagged = sum(1 for m in masklets if m.flags)
    print(f"{len(masklets)} masklets ({flagged} flagged) over {len(frames)} frames in {total_s:.1f} s", flush=True)
    print(json.dumps({
        "bench": "automask", "model": args.model, "frame_size": list(frames[0].shape[:2]),
        "pred_iou_thresh": cfg.pred_iou_thresh, "stability_score_thresh": cfg.stability_score_thresh,
        "first_frame_s": round(first_s, 2), "first_frame_masks": int(len(first.masks)),
        "frames": len(frames), "masklets": len(masklets), "flagged": flagged,
        "total_s": round(total_s, 2), "video_minutes": round(video_min, 4),
        "masklets_per_video_minute": round(len(masklets) / video_min, 1),
        "compute_s_per_video_minute": round(total_s / video_min, 1),
    }))


if __name__ == "__main__":
    main()
