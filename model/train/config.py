"""Frozen training configuration."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from model.train.losses import LossWeights


@dataclass(frozen=True)
class TrainConfig:
    """Trainer knobs.

    lr: peak learning rate of the heads, memory and decoder; encoder_lr_scale: factor for the
    image encoder (a lower rate); warmup_steps then cosine decay to ``min_lr_scale * lr`` at
    ``total_steps``; grad_clip: max global grad norm; clip_len / max_objects: sampled clip size;
    prob_mask / prob_box: first-frame prompt mix (the rest are 1-2 clicks); prob_correction: chance
    of one corrective click on a later frame of the clip (then a conditioning frame).
    """

    seed: int = 0
    total_steps: int = 1000
    lr: float = 5e-4
    encoder_lr_scale: float = 0.5
    weight_decay: float = 0.01
    warmup_steps: int = 50
    min_lr_scale: float = 0.1
    grad_clip: float = 1.0
    clip_len: int = 8
    max_objects: int = 3
    prob_mask: float = 0.4
    prob_box: float = 0.3
    prob_correction: float = 0.3
    loss: LossWeights = field(default_factory=LossWeights)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)
