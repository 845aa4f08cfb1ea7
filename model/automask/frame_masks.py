"""Automatic masks on one frame: grid prompts over crop layers, the official filter order.

Per crop: decode every grid point (3 candidate masks each) -> keep predicted IoU > thresh ->
keep stability >= thresh -> drop masks whose box touches a crop edge (not a frame edge) -> box
NMS within the crop. Then box NMS across crops (smaller crops win), then small islands/holes
removed (re-NMS preferring unchanged masks), as sam2's SAM2AutomaticMaskGenerator does.
IoU and stability filters run on the model's mask resolution (S x S); the edge filter and NMS on
the boxes the masks will have at crop size (:func:`_upsampled_boxes`); only the survivors are
resized to the crop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from sam2.utils.amg import (
    batched_mask_to_box,
    build_point_grid,
    calculate_stability_score,
    generate_crop_boxes,
    is_box_near_crop_edge,
)

from model.automask.boxes import box_area, box_nms
from model.automask.config import AutoMaskConfig
from model.automask.regions import remove_small_regions
from model.network.device import autocast_for
from model.network.lite.lite_sam import LiteSam
from model.session.frames import check_frame, preprocess


@dataclass(frozen=True)
class FrameMasks:
    """Masks found on one frame: masks bool [M, H, W]; boxes float [M, 4] xyxy; pred_iou [M];
    stability [M]; points float [M, 2] (x, y) prompt that produced each mask; crop_boxes [M, 4]."""

    masks: np.ndarray
    boxes: np.ndarray
    pred_iou: np.ndarray
    stability: np.ndarray
    points: np.ndarray
    crop_boxes: np.ndarray


def point_grids(cfg: AutoMaskConfig) -> list[np.ndarray]:
    """Normalised (x, y) grids per crop layer: float [n_i * n_i, 2] in [0, 1]."""
    return [build_point_grid(n) for n in cfg.points_per_layer]


def crop_boxes(height: int, width: int, cfg: AutoMaskConfig) -> tuple[list[list[int]], list[int]]:
    """Crop boxes (xyxy, layer 0 = full frame, layer i = 2^i x 2^i crops) and their layer indices."""
    return generate_crop_boxes((height, width), len(cfg.points_per_layer) - 1, cfg.crop_overlap_ratio)


def _crop_features(network, crop: np.ndarray, device):
    """Encoded crop and the model-input size (x, y scale of normalised points)."""
    if isinstance(network, LiteSam):
        size = network.input_size(crop.shape[0], crop.shape[1])
        image = network.preprocess(torch.from_numpy(np.array(crop))[None], size)  # a writable copy
        return network.encode(image.to(device)), torch.tensor([size[1], size[0]], dtype=torch.float32)
    s = int(network.image_size)
    image = preprocess(crop, s).to(device)
    out = network.forward_image(image)
    _, feats, _, sizes = network._prepare_backbone_features(out)
    if network.directly_add_no_mem_embed:
        feats[-1] = feats[-1] + network.no_mem_embed
    maps = [f.permute(1, 2, 0).reshape(1, -1, *s) for f, s in zip(feats, sizes)]
    return (maps[-1], maps[:-1]), torch.tensor([s, s], dtype=torch.float32)


def _decode(network, encoded, points: torch.Tensor):
    """One positive click per row (points [b, 2] in model pixels) -> (logits [b, 3, h, w], IoU [b, 3])."""
    b = points.shape[0]
    if isinstance(network, LiteSam):
        coords = torch.cat([points[:, None, :], torch.zeros_like(points)[:, None, :]], dim=1)
        labels = torch.tensor([[1, -1]], dtype=torch.int32, device=points.device).expand(b, -1)
        masks, iou, _ = network.decode(encoded.select(0, b), points=coords, labels=labels, multimask=True)
        return masks.float(), iou.float()
    pix, high_res = encoded
    point_inputs = {"point_coords": points[:, None, :], "point_labels": torch.ones(b, 1, dtype=torch.int32,
                                                                                   device=points.device)}
    out = network._forward_sam_heads(
        backbone_features=pix.expand(b, -1, -1, -1), point_inputs=point_inputs,
        high_res_features=[h.expand(b, -1, -1, -1) for h in high_res], multimask_output=True,
    )
    return out[1].float(), out[2].float()  # high-res multimask logits [b, 3, S, S], IoU [b, 3]


def _upsampled_boxes(logits: torch.Tensor, size: tuple[int, int], threshold: float) -> torch.Tensor:
    """Boxes (xyxy, crop pixels, inclusive) of ``logits`` [N, S_h, S_w] thresholded after a bilinear
    resize to ``size`` (ch, cw), without making the N x ch x cw masks: bilinear resizing is
    separable, so a column is inside the box when some row of the width-only resize is above the
    threshold (and rows likewise). The resized mask's box is inside this one; they differ only
    where a lone low-res cell barely crosses the threshold."""
    ch, cw = size
    cols = F.interpolate(logits[:, None], size=(logits.shape[-2], cw), mode="bilinear",
                         align_corners=False)[:, 0].amax(1) > threshold  # [N, cw]
    rows = F.interpolate(logits[:, None], size=(ch, logits.shape[-1]), mode="bilinear",
                         align_corners=False)[:, 0].amax(2) > threshold  # [N, ch]

    def extent(on: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.arange(on.shape[1])
        first = torch.where(on, idx, on.shape[1]).amin(1)
        last = torch.where(on, idx, -1).amax(1)
        return first, last

    x0, x1 = extent(cols)
    y0, y1 = extent(rows)
    boxes = torch.stack([x0, y0, x1, y1], dim=1).float()
    return torch.where((x1 >= x0)[:, None], boxes, torch.zeros_like(boxes))


def _process_crop(network, frame: np.ndarray, crop_box: list[int], grid: np.ndarray, cfg: AutoMaskConfig,
                  device) -> dict[str, torch.Tensor]:
    x0, y0, x1, y1 = crop_box
    crop = frame[y0:y1, x0:x1]
    ch, cw = crop.shape[:2]
    encoded, scale = _crop_features(network, crop, device)
    parts: dict[str, list[torch.Tensor]] = {"logits": [], "iou": [], "stab": [], "points": [], "boxes": []}
    batch = cfg.batch_for(torch.device(device).type)
    for start in range(0, len(grid), batch):
        pts = torch.as_tensor(grid[start:start + batch], dtype=torch.float32)
        logits, iou = _decode(network, encoded, (pts * scale).to(device))
        logits, iou = logits.flatten(0, 1).cpu(), iou.flatten().cpu()
        pts_rep = (pts * torch.tensor([cw, ch])).repeat_interleave(logits.shape[0] // len(pts), dim=0)
        ok = iou > cfg.pred_iou_thresh
        stab = calculate_stability_score(logits, cfg.mask_threshold, cfg.stability_score_offset)
        ok &= stab >= cfg.stability_score_thresh
        if ok.any():
            parts["logits"].append(logits[ok])
            parts["boxes"].append(_upsampled_boxes(logits[ok], (ch, cw), cfg.mask_threshold))
            parts["iou"].append(iou[ok]), parts["stab"].append(stab[ok]), parts["points"].append(pts_rep[ok])
    if not parts["logits"]:
        return {}
    data = {k: torch.cat(v) for k, v in parts.items()}
    # the crop-edge filter and the NMS need only boxes: the candidates' crop-sized masks (most of
    # the time when they were all made) are made for the survivors alone
    h, w = frame.shape[:2]
    nonempty = (data["logits"] > cfg.mask_threshold).flatten(1).any(-1)
    near = is_box_near_crop_edge(data["boxes"], crop_box, [0, 0, w, h])
    data = {k: v[nonempty & ~near] for k, v in data.items()}
    keep = box_nms(data["boxes"], data["iou"], cfg.box_nms_thresh)
    data = {k: v[keep] for k, v in data.items()}
    logits = data.pop("logits")
    masks = F.interpolate(logits[:, None], size=(ch, cw), mode="bilinear", align_corners=False)[:, 0]
    masks = masks > cfg.mask_threshold
    data["boxes"] = batched_mask_to_box(masks).float()
    nonempty = masks.flatten(1).any(-1)
    data, masks = {k: v[nonempty] for k, v in data.items()}, masks[nonempty]
    # back to frame coordinates
    offset = torch.tensor([x0, y0, x0, y0], dtype=torch.float32)
    data["boxes"] = data["boxes"] + offset
    data["points"] = data["points"] + offset[:2]
    full = torch.zeros(len(masks), h, w, dtype=torch.bool)
    full[:, y0:y1, x0:x1] = masks
    data["masks"] = full
    data["crop_boxes"] = torch.tensor(crop_box, dtype=torch.float32).expand(len(full), 4)
    return data if len(full) else {}


def frame_masks(network, frame: np.ndarray, cfg: AutoMaskConfig, device: torch.device) -> FrameMasks:
    """All automatic masks of one uint8 [H, W, 3] frame (see module docstring)."""
    frame = check_frame(frame, 0, None)
    h, w = frame.shape[:2]
    boxes, layers = crop_boxes(h, w, cfg)
    grids = point_grids(cfg)
    parts = []
    with torch.inference_mode(), autocast_for(device):
        for box, layer in zip(boxes, layers):
            part = _process_crop(network, frame, box, grids[layer], cfg, device)
            if part:
                parts.append(part)
    if not parts:
        return _empty(h, w)
    data = {k: torch.cat([p[k] for p in parts]) for k in parts[0]}
    if len(boxes) > 1:
        keep = box_nms(data["boxes"], 1.0 / box_area(data["crop_boxes"]), cfg.crop_nms_thresh)
        data = {k: v[keep] for k, v in data.items()}
    if cfg.min_mask_region_area > 0:
        data = _clean_regions(data, cfg)
    order = torch.sort(data["iou"], descending=True, stable=True).indices[: cfg.max_masks]
    data = {k: v[order] for k, v in data.items()}
    return FrameMasks(masks=data["masks"].numpy(), boxes=data["boxes"].numpy(), pred_iou=data["iou"].numpy(),
                      stability=data["stab"].numpy(), points=data["points"].numpy(),
                      crop_boxes=data["crop_boxes"].numpy())


def _clean_regions(data: dict[str, torch.Tensor], cfg: AutoMaskConfig) -> dict[str, torch.Tensor]:
    new_masks, unchanged = [], []
    for m in data["masks"].numpy():
        m1, c1 = remove_small_regions(m, cfg.min_mask_region_area, "holes")
        m2, c2 = remove_small_regions(m1, cfg.min_mask_region_area, "islands")
        new_masks.append(torch.from_numpy(m2))
        unchanged.append(float(not (c1 or c2)))
    masks = torch.stack(new_masks)
    boxes = batched_mask_to_box(masks).float()
    keep = box_nms(boxes, torch.tensor(unchanged), cfg.box_nms_thresh)
    data = {**data, "masks": masks, "boxes": boxes}
    data = {k: v[keep] for k, v in data.items()}
    nonempty = data["masks"].flatten(1).any(-1)
    return {k: v[nonempty] for k, v in data.items()}


def _empty(h: int, w: int) -> FrameMasks:
    z = np.zeros((0, 4), np.float32)
    return FrameMasks(masks=np.zeros((0, h, w), bool), boxes=z, pred_iou=np.zeros(0, np.float32),
                      stability=np.zeros(0, np.float32), points=np.zeros((0, 2), np.float32), crop_boxes=z)
