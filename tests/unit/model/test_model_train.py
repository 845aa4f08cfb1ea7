"""Trainer: losses, prompts, sampler, determinism, checkpoint + resume, tiny overfit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from model.errors import InvalidInputError
from model.metrics.semi_supervised import evaluate_sequence
from model.network.architecture import official, tiny_cpu
from model.network.refs import LoadedModel, load_model
from model.synthetic.generator import generate_clip
from model.train.config import TrainConfig
from model.train.losses import LossWeights, dice_loss, focal_loss, frame_loss, mask_iou
from model.train.prompts import corrective_points, sample_boxes, sample_points
from model.train.sampler import ClipSampler
from model.train.trainer import Trainer


def small_sampler(seed: int = 11, frames: int = 3, objects: int = 1, size: int = 48) -> tuple[ClipSampler, object]:
    clip = generate_clip(seed, frames, size, size, objects)
    return ClipSampler([(clip.frames, clip.masks)], clip_len=frames, max_objects=objects, image_size=256,
                       flip=False), clip


def test_losses_hand_checked() -> None:
    target = torch.zeros(1, 1, 4, 4)
    target[..., :2, :] = 1
    perfect = (target * 2 - 1) * 50
    assert focal_loss(perfect, target).item() < 1e-6
    assert dice_loss(perfect, target).item() < 0.02
    assert mask_iou(perfect, target).item() == 1.0
    assert mask_iou(-perfect, target).item() == 0.0
    wrong = frame_loss(-perfect.expand(1, 3, 4, 4), torch.zeros(1, 3), torch.full((1, 1), -5.0),
                       target[:, 0] > 0, LossWeights())
    right = frame_loss(torch.cat([perfect, -perfect, -perfect], 1), torch.tensor([[1.0, 0, 0]]),
                       torch.full((1, 1), 5.0), target[:, 0] > 0, LossWeights())
    assert right["total"].item() < 0.1 < wrong["total"].item()
    assert right["iou"].item() == 0.0  # candidate IoUs 1, 0, 0 predicted exactly


def test_prompt_simulation() -> None:
    rng = np.random.default_rng(0)
    masks = torch.zeros(2, 16, 16, dtype=torch.bool)
    masks[0, 2:6, 3:9] = True
    masks[1, 10:14, 10:12] = True
    pts = sample_points(masks, rng, n_points=2)
    assert pts["point_coords"].shape == (2, 2, 2) and (pts["point_labels"] == 1).all()
    for k in range(2):
        for x, y in pts["point_coords"][k]:
            assert masks[k, int(y), int(x)]
    boxes = sample_boxes(masks, rng, jitter=0.0)
    assert torch.equal(boxes["point_coords"][0], torch.tensor([[3.0, 2.0], [9.0, 6.0]]))
    assert boxes["point_labels"].tolist() == [[2, 3], [2, 3]]
    pred = masks.clone()
    pred[0] = False  # object 0 missed entirely -> positive click inside it
    pred[1, 0:4, 0:4] = True  # object 1 has a false positive -> negative click there
    corr = corrective_points(pred, masks, rng)
    (x0, y0), (x1, y1) = corr["point_coords"][:, 0].tolist()
    assert corr["point_labels"].tolist() == [[1], [0]]
    assert masks[0, int(y0), int(x0)] and pred[1, int(y1), int(x1)] and not masks[1, int(y1), int(x1)]


def test_sampler_shapes_and_errors() -> None:
    clip = generate_clip(1, 6, 40, 40, 2)
    sampler = ClipSampler([(clip.frames, clip.masks)], clip_len=4, max_objects=2, image_size=64)
    s = sampler.sample(np.random.default_rng(0))
    assert s.images.shape == (4, 3, 64, 64) and s.images.dtype == torch.float32
    assert s.masks.dtype == torch.bool and s.masks.shape[1:] == (4, 64, 64)
    assert s.masks[:, 0].flatten(1).any(-1).all()
    with pytest.raises(InvalidInputError):
        ClipSampler([(clip.frames, clip.masks[:, :2])], clip_len=2, max_objects=1, image_size=64).sample(
            np.random.default_rng(0))
    empty = np.zeros_like(clip.masks)
    with pytest.raises(InvalidInputError, match="no object"):
        ClipSampler([(clip.frames, empty)], clip_len=2, max_objects=1, image_size=64).sample(
            np.random.default_rng(0), attempts=3)


def test_seed_deterministic_and_resume_equals_continuous(tmp_path: Path) -> None:
    sampler, _ = small_sampler(frames=2)
    cfg = TrainConfig(seed=3, total_steps=3, clip_len=2, max_objects=1, warmup_steps=1, prob_correction=1.0)
    seen: list[tuple[int, dict]] = []
    a = Trainer(tiny_cpu(), sampler, cfg)
    a.run(3, callback=lambda step, m: seen.append((step, m)))
    assert [s for s, _ in seen] == [1, 2, 3]
    assert {"loss_total", "loss_focal", "loss_dice", "loss_iou", "loss_occlusion", "lr", "grad_norm"} <= set(seen[0][1])
    b = Trainer(tiny_cpu(), sampler, cfg)
    b.run(2)
    b.save(tmp_path / "ck.pt")
    c = Trainer(tiny_cpu(), sampler, cfg)
    c.resume(tmp_path / "ck.pt")
    assert c.step == 2
    c.run(3)
    sa, sc = a.network.state_dict(), c.network.state_dict()
    assert all(torch.equal(sa[k], sc[k]) for k in sa)
    loaded = load_model(str(tmp_path / "ck.pt"))  # a trainer checkpoint is a model reference
    assert loaded.arch == tiny_cpu()


def test_encoder_gets_the_lower_learning_rate() -> None:
    sampler, _ = small_sampler(frames=2)
    t = Trainer(tiny_cpu(), sampler, TrainConfig(total_steps=2, encoder_lr_scale=0.25, warmup_steps=1))
    t.train_step()
    enc, rest = t.optimizer.param_groups
    assert enc["lr"] == pytest.approx(0.25 * rest["lr"])


def test_resume_refuses_another_architecture(tmp_path: Path) -> None:
    sampler, _ = small_sampler(frames=2)
    t = Trainer(tiny_cpu(), sampler, TrainConfig(total_steps=1))
    t.save(tmp_path / "ck.pt")
    other = Trainer.__new__(Trainer)
    other.arch = official("tiny")
    with pytest.raises(InvalidInputError, match="tiny-cpu"):
        Trainer.resume(other, tmp_path / "ck.pt")


def test_tiny_overfit_reaches_jf_090() -> None:
    """One synthetic clip learned to J&F >= 0.9 (mask prompt on frame 0, 4 frames, CPU)."""
    sampler, clip = small_sampler(seed=11, frames=4, size=64)
    cfg = TrainConfig(seed=0, total_steps=120, lr=2e-3, warmup_steps=10, clip_len=4, max_objects=1,
                      prob_mask=1.0, prob_box=0.0, prob_correction=0.0)
    trainer = Trainer(tiny_cpu(), sampler, cfg)
    model = LoadedModel("overfit", tiny_cpu(), trainer.network, torch.device("cpu"))
    before = evaluate_sequence(model, "clip", list(clip.frames), clip.label_maps()).model.JF
    trainer.run(40)
    after = evaluate_sequence(model, "clip", list(clip.frames), clip.label_maps()).model.JF
    assert after >= 0.9 > before
