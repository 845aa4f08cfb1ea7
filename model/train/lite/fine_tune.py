"""Fine-tuning the lite network on a dataset version's videos (``maskloop train --base ...``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from PIL import Image

from model.errors import InvalidInputError
from model.network.lite.lite_sam import LiteSam
from model.train.lite.feature_bank import FeatureBank
from model.train.lite.lite_trainer import LiteTrainConfig, LiteTrainer
from model.train.lite.training_data import Sample


def video_samples(videos: Sequence[tuple[np.ndarray, np.ndarray]], size: tuple[int, int]) -> list[Sample]:
    """(frames uint8 [T, H, W, 3], masks bool [K, T, H, W]) per video -> samples at ``size``."""
    out: list[Sample] = []
    for v, (frames, masks) in enumerate(videos):
        if frames.ndim != 4 or masks.ndim != 4 or masks.shape[1] != frames.shape[0]:
            raise InvalidInputError(f"training video {v}: frames [T,H,W,3] and masks [K,T,H,W] must "
                                    f"share T, got {frames.shape} and {masks.shape}")
        for t in range(frames.shape[0]):
            frame = np.asarray(Image.fromarray(frames[t]).resize((size[1], size[0]), Image.BILINEAR))
            m = np.stack([np.asarray(Image.fromarray(k.astype(np.uint8) * 255).resize(
                (size[1], size[0]), Image.BILINEAR)) >= 128 for k in masks[:, t]])
            out.append(Sample(frame, m, v, t))
    if not any(s.masks.any() for s in out):
        raise InvalidInputError("the training videos hold no mask pixels; accept masklets first")
    return out


def fine_tune(net: LiteSam, videos: Sequence[tuple[np.ndarray, np.ndarray]], *, steps: int, lr: float,
              seed: int, on_step: Callable[[int, dict[str, float]], None] | None = None,
              batch: int = 8) -> LiteSam:
    """Train ``net`` (in place) for ``steps`` steps at peak ``lr`` on ``videos``; returns it."""
    h, w = videos[0][0].shape[1:3]
    samples = video_samples(videos, net.input_size(h, w))
    bank = FeatureBank(net, samples, flip=True)
    cfg = LiteTrainConfig(steps=steps, lr=lr, seed=seed, warmup=max(1, steps // 10),
                          prompt_batch=batch, track_batch=batch)
    torch.manual_seed(seed)
    LiteTrainer(net, bank, cfg).run(on_step=on_step)
    return net.eval()
