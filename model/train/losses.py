"""SAM 2 training losses: focal + dice on masks, L1 on predicted IoU, BCE on object scores."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class LossWeights:
    """Loss weights (SAM 2's training defaults: mask 20, dice 1, IoU 1, class 1)."""

    focal: float = 20.0
    dice: float = 1.0
    iou: float = 1.0
    occlusion: float = 1.0


def focal_loss(logits: torch.Tensor, target: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0) -> torch.Tensor:
    """Sigmoid focal loss averaged over pixels: logits, target float [N, M, H, W] -> [N, M]."""
    prob = logits.sigmoid()
    ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_t = prob * target + (1 - prob) * (1 - target)
    loss = ce * (1 - p_t) ** gamma
    loss = (alpha * target + (1 - alpha) * (1 - target)) * loss
    return loss.flatten(2).mean(-1)


def dice_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 - soft Dice: logits, target float [N, M, H, W] -> [N, M]."""
    prob = logits.sigmoid().flatten(2)
    tgt = target.flatten(2)
    num = 2 * (prob * tgt).sum(-1)
    den = prob.sum(-1) + tgt.sum(-1)
    return 1 - (num + 1) / (den + 1)


def mask_iou(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Hard IoU of (logits > 0) with target: [N, M, H, W] -> [N, M] (1 when both are empty)."""
    pred = (logits > 0).flatten(2)
    tgt = target.flatten(2) > 0.5
    inter = (pred & tgt).sum(-1).float()
    union = (pred | tgt).sum(-1).float()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(union))


def frame_loss(
    multimask_logits: torch.Tensor,
    iou_pred: torch.Tensor,
    object_score_logits: torch.Tensor,
    target: torch.Tensor,
    weights: LossWeights,
) -> dict[str, torch.Tensor]:
    """Loss of one frame for N objects.

    multimask_logits: float [N, M, H, W] (M = 1 or 3 candidate masks at the target's size);
    iou_pred: float [N, M]; object_score_logits: float [N, 1]; target: bool [N, H, W].
    Mask and IoU terms count only objects present in the target; with M > 1 only the candidate of
    lowest focal+dice loss gets the mask gradient (SAM's multimask rule), IoU is supervised on all.
    Returns the weighted total and each term (scalars).
    """
    tgt = target[:, None].float().expand_as(multimask_logits)
    focal = focal_loss(multimask_logits, tgt)
    dice = dice_loss(multimask_logits, tgt)
    combo = weights.focal * focal + weights.dice * dice
    best = combo.argmin(dim=1, keepdim=True)
    present = target.flatten(1).any(-1).float()
    n_present = present.sum().clamp(min=1)
    focal_b = focal.gather(1, best).squeeze(1)
    dice_b = dice.gather(1, best).squeeze(1)
    true_iou = mask_iou(multimask_logits.detach(), tgt)
    iou_l1 = (iou_pred - true_iou).abs().mean(-1)
    occl = F.binary_cross_entropy_with_logits(object_score_logits.squeeze(-1), present, reduction="mean")
    focal_t = (focal_b * present).sum() / n_present
    dice_t = (dice_b * present).sum() / n_present
    iou_t = (iou_l1 * present).sum() / n_present
    total = weights.focal * focal_t + weights.dice * dice_t + weights.iou * iou_t + weights.occlusion * occl
    return {"total": total, "focal": focal_t, "dice": dice_t, "iou": iou_t, "occlusion": occl}
