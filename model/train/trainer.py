"""Trainer over the sam2 modules: AdamW with a lower encoder LR, warmup + cosine, grad clipping,
seed-deterministic sampling, checkpoint + resume, per-step metrics through a callback."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from model.errors import InvalidInputError
from model.network.architecture import ArchSpec
from model.network.builder import build_network, load_state
from model.network.checkpoint import arch_of, read_checkpoint, write_checkpoint
from model.train.config import TrainConfig
from model.train.forward import clip_forward
from model.train.sampler import ClipSampler

StepCallback = Callable[[int, dict[str, float]], None]


class Trainer:
    """Trains ``arch`` on clips from ``sampler``.

    init_state: optional state dict to start from (fine-tuning an official or our checkpoint).
    Step ``k`` draws its clip and prompts from ``np.random.default_rng([seed, k])`` so a resumed
    run sees the same data as an uninterrupted one.
    """

    def __init__(self, arch: ArchSpec, sampler: ClipSampler, cfg: TrainConfig,
                 init_state: dict[str, torch.Tensor] | None = None) -> None:
        self.arch, self.sampler, self.cfg = arch, sampler, cfg
        torch.manual_seed(cfg.seed)
        self.network = build_network(arch)
        if init_state is not None:
            load_state(self.network, init_state, source="the initial weights")
        if sampler.image_size != self.network.image_size:
            raise InvalidInputError(
                f"sampler image_size {sampler.image_size} != network image_size "
                f"{self.network.image_size}; build the sampler with image_size={self.network.image_size}"
            )
        encoder = [p for n, p in self.network.named_parameters() if n.startswith("image_encoder.")]
        rest = [p for n, p in self.network.named_parameters() if not n.startswith("image_encoder.")]
        self.optimizer = torch.optim.AdamW(
            [{"params": encoder, "lr_scale": cfg.encoder_lr_scale}, {"params": rest, "lr_scale": 1.0}],
            lr=cfg.lr, weight_decay=cfg.weight_decay,
        )
        self.step = 0

    def lr_at(self, step: int) -> float:
        """Peak-normalised schedule: linear warmup then cosine to ``min_lr_scale``."""
        cfg = self.cfg
        if step < cfg.warmup_steps:
            return cfg.lr * (step + 1) / cfg.warmup_steps
        frac = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.total_steps - cfg.warmup_steps))
        return cfg.lr * (cfg.min_lr_scale + (1 - cfg.min_lr_scale) * 0.5 * (1 + math.cos(math.pi * frac)))

    def train_step(self) -> dict[str, float]:
        """One optimisation step on one sampled clip; returns its metrics."""
        rng = np.random.default_rng([self.cfg.seed, self.step])
        torch.manual_seed(self.cfg.seed * 1_000_003 + self.step)
        clip = self.sampler.sample(rng)
        self.network.train()
        loss, metrics = clip_forward(self.network, clip, self.cfg, rng)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(self.network.parameters(), self.cfg.grad_clip)
        lr = self.lr_at(self.step)
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group["lr_scale"]
        self.optimizer.step()
        self.step += 1
        metrics.update(grad_norm=float(grad_norm), lr=lr, step=float(self.step))
        return metrics

    def run(self, steps: int, callback: StepCallback | None = None) -> None:
        """Train until ``self.step == steps`` (continues from a resumed step)."""
        while self.step < steps:
            metrics = self.train_step()
            if callback is not None:
                callback(self.step, metrics)
        self.network.eval()

    def save(self, path: Path, extra: dict[str, object] | None = None) -> Path:
        """Checkpoint with architecture, weights, optimizer state, step and config."""
        info = {"train_config": self.cfg.to_dict(), **(extra or {})}
        return write_checkpoint(path, arch=self.arch, model_state=self.network.state_dict(),
                                step=self.step, optimizer_state=self.optimizer.state_dict(), extra=info)

    def resume(self, path: Path) -> None:
        """Load weights, optimizer and step from a checkpoint of the same architecture."""
        data = read_checkpoint(Path(path))
        arch_of(data, source=str(path), expected=self.arch)
        load_state(self.network, data["model"], source=str(path))
        if data.get("optimizer"):
            self.optimizer.load_state_dict(data["optimizer"])
        self.step = int(data.get("step", 0))
