"""Frozen configuration of automatic masklet generation (SAM 2 App. D.1 grids, official filters)."""

from __future__ import annotations

from dataclasses import dataclass

from model.errors import InvalidInputError


@dataclass(frozen=True)
class AutoMaskConfig:
    """Grid prompting + filters on one frame, then propagation.

    points_per_layer: points per side of the grid of each crop layer: layer 0 the full frame,
    layer i the (2^i x 2^i) overlapping crops (App. D.1: 32, 16, 4). crop_overlap_ratio: overlap of
    neighbouring crops as a fraction of the frame side (official 512/1500). points_per_batch: prompts
    decoded together; 0 (default) picks per device with :meth:`batch_for`. pred_iou_thresh / stability_score_thresh / stability_score_offset /
    mask_threshold / box_nms_thresh / crop_nms_thresh: the official automatic mask generator's
    filters and defaults. min_mask_region_area: connected components and holes under this many
    pixels are removed (App. D.1: 200; 0 disables). max_masks: cap on kept first-frame masks (by
    predicted IoU). reprompt_every: re-run the grid every this many frames to catch entering
    objects (0 = never); dedup_iou: a new mask overlapping a tracked one this much is a duplicate.
    vanish_frames / split_min_fraction: flagging of masklets that vanish for good or split.
    """

    points_per_layer: tuple[int, ...] = (32, 16, 4)
    crop_overlap_ratio: float = 512 / 1500
    points_per_batch: int = 0
    pred_iou_thresh: float = 0.8
    stability_score_thresh: float = 0.95
    stability_score_offset: float = 1.0
    mask_threshold: float = 0.0
    box_nms_thresh: float = 0.7
    crop_nms_thresh: float = 0.7
    min_mask_region_area: int = 200
    max_masks: int = 100
    reprompt_every: int = 0
    dedup_iou: float = 0.5
    vanish_frames: int = 5
    split_min_fraction: float = 0.2

    @classmethod
    def for_arch(cls, arch_name: str, **overrides: object) -> AutoMaskConfig:
        """The generator's defaults for a network: the official thresholds for SAM 2, the ones
        calibrated for the lite default (see ``CALIBRATED``), then ``overrides``."""
        return cls(**{**CALIBRATED.get(arch_name, {}), **overrides})  # type: ignore[arg-type]

    def batch_for(self, device_type: str) -> int:
        """Prompts decoded together on ``device_type`` ("cuda", "cpu"): ``points_per_batch`` when set,
        else the official 64 on GPUs and 8 on CPUs. On CPU the decoder's image-side tensors
        (batch x tokens x dim floats, e.g. 64 x 1620 x 64 x 4 bytes = 27 MB) stop fitting in cache:
        bench/bench_automask.py measured 2.55 ms per prompt at 8 against 4.0 at 64 on 2 cores."""
        if self.points_per_batch:
            return self.points_per_batch
        return 64 if device_type == "cuda" else CPU_POINTS_PER_BATCH

    def __post_init__(self) -> None:
        if not self.points_per_layer or any(n < 1 for n in self.points_per_layer):
            raise InvalidInputError("points_per_layer needs at least one positive grid size, e.g. (32, 16, 4)")
        if self.points_per_batch < 0 or self.max_masks < 1:
            raise InvalidInputError("points_per_batch must be >= 0 (0 = per device) and max_masks >= 1")
        for name in ("pred_iou_thresh", "stability_score_thresh", "box_nms_thresh", "crop_nms_thresh",
                     "dedup_iou", "split_min_fraction"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise InvalidInputError(f"{name} must be within [0, 1]")
        if not 0.0 <= self.crop_overlap_ratio < 1.0 or self.min_mask_region_area < 0 or self.reprompt_every < 0:
            raise InvalidInputError("crop_overlap_ratio must be in [0, 1); areas and intervals >= 0")


CPU_POINTS_PER_BATCH = 8

# Thresholds calibrated per architecture, on DAVIS-2016 *train* first frames (never on the reported
# val split): see model/weights/MODEL_CARD.md "Automatic masks" for the sweep and the reason.
# lite0 (with click maps, 2026-12-02): its stability scores are low (soft mask edges), so the
# official 0.8 / 0.95 keep nothing (recall 0.00 on the 30 train first frames) and stability 0.5
# already loses objects (recall 0.93, 0.7: 0.73). Predicted IoU 0.7 with no stability cut is the
# strictest pair that keeps recall@0.5 >= 0.95 there (1.00 at 2.0 proposals a frame; predicted IoU
# 0.8: 0.83) (bench/calibrate_automask.py, 16x16 grid).
CALIBRATED: dict[str, dict[str, object]] = {
    "lite0": {"pred_iou_thresh": 0.7, "stability_score_thresh": 0.0},
}
