"""Training forward pass of SAM 2 over one clip, all objects batched (mirrors sam2's SAM2Train)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from model.train.config import TrainConfig
from model.train.losses import frame_loss
from model.train.prompts import corrective_points, sample_boxes, sample_points
from model.train.sampler import TrainClip


def _frame_feats(feats: list[torch.Tensor], t: int, n: int) -> list[torch.Tensor]:
    """Slice frame ``t`` of (HW, T, C) backbone tensors and expand it to ``n`` objects."""
    return [x[:, t:t + 1].expand(-1, n, -1) for x in feats]


def clip_forward(
    network: torch.nn.Module, clip: TrainClip, cfg: TrainConfig, rng: np.random.Generator
) -> tuple[torch.Tensor, dict[str, float]]:
    """Run the clip: first-frame prompt, tracking, optional correction; returns (loss, metrics).

    clip.images float32 [T, 3, S, S]; clip.masks bool [N, T, S, S]. The loss averages per-frame
    losses over every frame whose output came from the decoder (a mask prompt's frame is skipped).
    """
    n, T = clip.masks.shape[:2]
    backbone_out = network.forward_image(clip.images)
    _, vision_feats, vision_pos, feat_sizes = network._prepare_backbone_features(backbone_out)
    output_dict: dict[str, dict[int, dict]] = {"cond_frame_outputs": {}, "non_cond_frame_outputs": {}}
    correction_t = int(rng.integers(1, T)) if T > 1 and rng.random() < cfg.prob_correction else -1
    u = rng.random()
    losses: list[dict[str, torch.Tensor]] = []
    ious: list[float] = []
    for t in range(T):
        feats, pos = _frame_feats(vision_feats, t, n), _frame_feats(vision_pos, t, n)
        target = clip.masks[:, t]
        point_inputs = mask_inputs = None
        if t == 0:
            if u < cfg.prob_mask:
                mask_inputs = target[:, None].float()
            elif u < cfg.prob_mask + cfg.prob_box:
                point_inputs = sample_boxes(target, rng)
            else:
                point_inputs = sample_points(target, rng, n_points=int(rng.integers(1, 3)))
        out, sam = _step(network, t, t == 0, feats, pos, feat_sizes, point_inputs, mask_inputs,
                         output_dict, T, None)
        if mask_inputs is None:
            losses.append(_loss(sam, target, cfg))
        if t == correction_t:
            pred = sam[4][:, 0] > 0
            point_inputs = corrective_points(pred, target, rng)
            out, sam = _step(network, t, False, feats, pos, feat_sizes, point_inputs, None,
                             output_dict, T, sam[3].detach().clamp(-32, 32))
            losses.append(_loss(sam, target, cfg))
        network._encode_memory_in_output(feats, feat_sizes, point_inputs, True, sam[4], sam[6], out)
        key = "cond_frame_outputs" if (t == 0 or t == correction_t) else "non_cond_frame_outputs"
        output_dict[key][t] = out
        if t > 0:
            with torch.no_grad():
                p, g = sam[4][:, 0] > 0, target
                inter = (p & g).flatten(1).sum(-1).float()
                union = (p | g).flatten(1).sum(-1).float()
                ious.extend(torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union)).tolist())
    keys = losses[0].keys()
    mean = {k: torch.stack([l[k] for l in losses]).mean() for k in keys}
    metrics = {f"loss_{k}": float(v.detach()) for k, v in mean.items()}
    metrics["train_iou"] = float(np.mean(ious)) if ious else 1.0
    return mean["total"], metrics


def _step(network, t, is_init, feats, pos, feat_sizes, point_inputs, mask_inputs, output_dict, T, prev):
    out, sam, _, _ = network._track_step(
        t, is_init, feats, pos, feat_sizes, point_inputs, mask_inputs, output_dict, T, False, prev
    )
    out["pred_masks"] = sam[3]
    out["pred_masks_high_res"] = sam[4]
    out["obj_ptr"] = sam[5]
    return out, sam


def _loss(sam: tuple, target: torch.Tensor, cfg: TrainConfig) -> dict[str, torch.Tensor]:
    high_multi, iou_pred, obj_scores = sam[1], sam[2], sam[6]
    if high_multi.shape[-2:] != target.shape[-2:]:
        high_multi = F.interpolate(high_multi, size=target.shape[-2:], mode="bilinear", align_corners=False)
    return frame_loss(high_multi, iou_pred, obj_scores, target, cfg.loss)
