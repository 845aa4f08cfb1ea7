"""Train the shipped ``builtin:default`` weights (tiny-cpu) on procedurally generated clips.

Reproduce the shipped file (step 700 of a 1200-step schedule, stopped for the time budget;
about 35 minutes on one shared CPU thread)::

    nice -n 10 python -m model.train.default_weights --out model/weights/default.pt --state /tmp/default.state --steps 1200 --stop-at 700 --seed 0

Every ``--save-every`` steps the weights so far are written to ``--out`` (no optimizer state) and
the full training state to ``--state`` (default: ``<out>.state``), which ``--resume`` continues.
Training is seed-deterministic on CPU, so ``--stop-at N`` reproduces the weights a longer run had
at step N (the learning-rate schedule always spans ``--steps``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from model.network.architecture import tiny_cpu
from model.network.checkpoint import write_checkpoint
from model.synthetic.generator import generate_clip
from model.train.config import TrainConfig
from model.train.sampler import ClipSampler, Video
from model.train.trainer import Trainer


def synthetic_source(clip_frames: int, size: int) -> "callable":
    """A video source drawing a fresh generated clip from the sampler's rng: 0-3 instruments and
    0-3 deformable textured blobs (at least one object), so the memory learns to follow
    appearance, not only instrument shapes."""

    def source(rng: np.random.Generator) -> Video:
        n_inst = int(rng.integers(0, 4))
        n_blobs = int(rng.integers(0 if n_inst else 1, 4))
        clip = generate_clip(int(rng.integers(0, 2**31 - 1)), clip_frames, size, size, n_inst, n_blobs=n_blobs)
        return clip.frames, clip.masks

    return source


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--state", type=Path, default=None)
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clip-len", type=int, default=5)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--save-every", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--stop-at", type=int, default=None,
                        help="stop after this step (the schedule still spans --steps)")
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    state = args.state or args.out.with_name(args.out.name + ".state")
    arch = tiny_cpu()
    cfg = TrainConfig(seed=args.seed, total_steps=args.steps, lr=args.lr, warmup_steps=100,
                      clip_len=args.clip_len, max_objects=3)
    sampler = ClipSampler(synthetic_source(args.clip_len, arch_size := 256), clip_len=args.clip_len,
                          max_objects=3, image_size=arch_size)
    trainer = Trainer(arch, sampler, cfg)
    if args.resume and state.is_file():
        trainer.resume(state)
    started, recent = time.time(), []

    def on_step(step: int, metrics: dict[str, float]) -> None:
        recent.append(metrics["train_iou"])
        del recent[:-50]
        if step % 10 == 0:
            print(json.dumps({"step": step, "elapsed_s": round(time.time() - started, 1),
                              "loss": round(metrics["loss_total"], 4),
                              "train_iou_50": round(float(np.mean(recent)), 4)}), flush=True)
        if step % args.save_every == 0 or step in (args.steps, args.stop_at):
            trainer.save(state)
            write_checkpoint(args.out, arch=arch, model_state=trainer.network.state_dict(), step=step,
                             extra={"train_config": cfg.to_dict(), "recipe": "model.train.default_weights",
                                    "train_iou_50": float(np.mean(recent))})

    trainer.run(min(args.steps, args.stop_at or args.steps), callback=on_step)
    return 0


if __name__ == "__main__":
    sys.exit(main())
