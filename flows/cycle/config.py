"""Knobs of the annotation cycle (a flow parameter; deployments use the defaults)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CycleConfig:
    """Parameters of rounds, generation, the oracle, retraining and promotion.

    model_name: registered model (catalog and MLflow registry) whose ``champion`` the cycle uses.
    Generation (SAM 2 App. D.1 style grid on the first frame): points_per_side, pred_iou_thresh,
    stability_thresh, max_masks, min_region_area (px); 0.5 / 0.5 sit below the default model's
    calibration (model.automask.config.CALIBRATED, 0.7 / 0.5), so a round proposes what it finds. Review: review_passes is how many times the
    oracle reviews refined masklets before it gives up on one (then rejected); its time is priced
    by the click annotator's cost model (model.metrics.click_annotator.CostModel). Training: train_steps
    optimisation steps of train_clip_len frames and at most train_max_objects objects, peak
    learning rate train_lr, train_origins the member origins trained on (the version's train
    split). split_fractions: train/val/test fractions fixed at a video's first commit.
    """

    model_name: str = "maskloop-sam2"
    points_per_side: int = 16
    pred_iou_thresh: float = 0.5
    stability_thresh: float = 0.5
    max_masks: int = 10
    min_region_area: int = 20
    review_passes: int = 2
    train_steps: int = 40
    train_lr: float = 1e-4
    train_clip_len: int = 4
    train_max_objects: int = 2
    train_origins: tuple[str, ...] = ("auto", "manual", "ground_truth")
    split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
    seed: int = 0

    def automask_params(self) -> dict[str, object]:
        """The generation parameters (hashed into the masklets' generator params hash)."""
        return {"points_per_layer": [self.points_per_side], "pred_iou_thresh": self.pred_iou_thresh,
                "stability_score_thresh": self.stability_thresh, "max_masks": self.max_masks,
                "min_mask_region_area": self.min_region_area}
