"""Automatic masks: grids, crops, filters (hand-made masks) and masklet propagation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from sam2.utils.amg import batched_mask_to_box

from model.automask import frame_masks as fm_mod
from model.automask import masklets as ml_mod
from model.automask.boxes import box_iou, box_nms
from model.automask.config import AutoMaskConfig
from model.automask.frame_masks import FrameMasks, crop_boxes, frame_masks, point_grids
from model.automask.masklets import generate_masklets
from model.automask.regions import component_labels, remove_small_regions
from model.errors import InvalidInputError
from model.synthetic.generator import generate_clip


def test_app_d1_grids_and_crops() -> None:
    cfg = AutoMaskConfig()
    grids = point_grids(cfg)
    assert [len(g) for g in grids] == [32 * 32, 16 * 16, 4 * 4]
    assert grids[0].min() == pytest.approx(1 / 64) and grids[0].max() == pytest.approx(1 - 1 / 64)
    boxes, layers = crop_boxes(480, 854, cfg)
    assert layers.count(0) == 1 and layers.count(1) == 4 and layers.count(2) == 16
    assert boxes[0] == [0, 0, 854, 480]
    two = np.array([b for b, l in zip(boxes, layers) if l == 1])
    assert two[:, 0].min() == 0 and two[:, 2].max() == 854
    assert two[0, 2] > two[1, 0]  # neighbouring crops overlap


def test_defaults_are_the_official_ones_and_validated() -> None:
    cfg = AutoMaskConfig()
    assert (cfg.pred_iou_thresh, cfg.stability_score_thresh, cfg.stability_score_offset) == (0.8, 0.95, 1.0)
    assert (cfg.box_nms_thresh, cfg.crop_nms_thresh, cfg.batch_for("cuda")) == (0.7, 0.7, 64)
    assert cfg.batch_for("cpu") == 8 and AutoMaskConfig(points_per_batch=5).batch_for("cuda") == 5
    with pytest.raises(InvalidInputError):
        AutoMaskConfig(points_per_batch=-1)
    with pytest.raises(InvalidInputError):
        AutoMaskConfig(pred_iou_thresh=1.5)
    with pytest.raises(InvalidInputError):
        AutoMaskConfig(points_per_layer=())
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.pred_iou_thresh = 0.1  # type: ignore[misc]


def test_box_nms_hand_made() -> None:
    boxes = torch.tensor([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30], [0, 0, 10, 9]], dtype=torch.float32)
    scores = torch.tensor([0.5, 0.9, 0.8, 0.7])
    assert box_iou(boxes[:1], boxes[1:2]).item() == pytest.approx(90 / 110)
    assert box_nms(boxes, scores, 0.7).tolist() == [1, 2]
    assert box_nms(boxes, scores, 0.95).tolist() == [1, 2, 3, 0]
    assert box_nms(torch.zeros(0, 4), torch.zeros(0), 0.5).numel() == 0


def test_connected_components_and_region_cleanup() -> None:
    m = np.zeros((12, 12), bool)
    m[1:5, 1:5] = True  # 16 px
    m[5, 5] = True  # diagonal neighbour: same component with 8-connectivity
    m[8:11, 8:11] = True  # 9 px
    _labels, areas = component_labels(m)
    assert sorted(areas.tolist()) == [9, 17]
    cleaned, changed = remove_small_regions(m, 10, "islands")
    assert changed and cleaned.sum() == 17 and not cleaned[9, 9]
    ring = np.zeros((7, 7), bool)
    ring[1:6, 1:6] = True
    ring[3, 3] = False  # a 1-px hole
    filled, changed = remove_small_regions(ring, 2, "holes")
    assert changed and filled[3, 3] and filled.sum() == 25
    same, changed = remove_small_regions(ring, 1, "holes")
    assert not changed and np.array_equal(same, ring)


def fake_decoder(masks_per_point):
    """A decoder returning hand-made logits: every point gets the same 3 candidates."""

    def decode(network, encoded, points):
        logits = torch.stack([torch.as_tensor(m, dtype=torch.float32) * 40 - 20 for m in masks_per_point])
        b = points.shape[0]
        ious = torch.tensor([0.95, 0.5, 0.9])
        return logits[None].expand(b, -1, -1, -1), ious[None].expand(b, -1)

    return decode


def test_filters_on_hand_made_masks(tiny, monkeypatch) -> None:
    s = 256
    good = np.zeros((s, s), bool)
    good[60:120, 60:140] = True  # confident and stable: kept
    low_iou = np.zeros((s, s), bool)
    low_iou[150:200, 150:200] = True  # predicted IoU 0.5: dropped
    edge = np.zeros((s, s), bool)
    edge[0:40, 100:160] = True  # IoU 0.9 but touches the crop edge... of the full frame: kept
    monkeypatch.setattr(fm_mod, "_decode", fake_decoder([good, low_iou, edge]))
    frame = np.zeros((s, s, 3), np.uint8)
    out = frame_masks(tiny.network, frame, AutoMaskConfig(points_per_layer=(2,), min_mask_region_area=0), tiny.device)
    assert isinstance(out, FrameMasks)
    # 4 grid points x 3 candidates -> IoU filter drops low_iou, NMS merges duplicates: 2 masks
    assert out.masks.shape == (2, s, s)
    assert np.array_equal(out.masks[0], good) and np.array_equal(out.masks[1], edge)
    assert out.pred_iou.tolist() == pytest.approx([0.95, 0.9])
    assert np.allclose(out.boxes[0], [60, 60, 139, 119])
    # with crops, the edge mask touches an inner crop border and is dropped there; the full-frame
    # copy survives and NMS across crops keeps one of each
    out2 = frame_masks(tiny.network, frame, AutoMaskConfig(points_per_layer=(1, 1), min_mask_region_area=0),
                       tiny.device)
    assert len(out2.masks) >= 1
    # stability: a mask whose logits sit at the threshold is unstable and filtered
    flat = np.zeros((s, s), np.float32)
    monkeypatch.setattr(fm_mod, "_decode", lambda n, enc, pts: (
        torch.from_numpy(flat)[None, None].expand(pts.shape[0], 3, -1, -1) + 0.5, torch.ones(pts.shape[0], 3)))
    assert len(frame_masks(tiny.network, frame, AutoMaskConfig(points_per_layer=(2,)), tiny.device).masks) == 0


def test_real_network_runs_on_a_small_grid(tiny) -> None:
    frame = generate_clip(1, 1, 64, 80, 2).frames[0]
    cfg = AutoMaskConfig(points_per_layer=(4,), pred_iou_thresh=0.0, stability_score_thresh=0.0,
                         min_mask_region_area=0)
    out = frame_masks(tiny.network, frame, cfg, tiny.device)
    assert out.masks.dtype == np.bool_ and out.masks.shape[1:] == (64, 80)
    assert len(out.masks) == len(out.pred_iou) == len(out.boxes) >= 1


def test_masklets_propagate_flag_and_reprompt(tiny, monkeypatch) -> None:
    clip = generate_clip(seed=5, n_frames=8, height=64, width=64, n_instruments=2)
    present0 = [k for k in range(2) if clip.masks[k, 0].any()]
    calls = []

    def fake_frame_masks(network, frame, cfg, device):
        t = next(i for i in range(8) if np.array_equal(clip.frames[i], frame))
        calls.append(t)
        ks = [k for k in range(2) if clip.masks[k, t].sum() > 20]
        return FrameMasks(masks=clip.masks[ks, t], boxes=np.zeros((len(ks), 4), np.float32),
                          pred_iou=np.full(len(ks), 0.9, np.float32), stability=np.full(len(ks), 0.97, np.float32),
                          points=np.zeros((len(ks), 2), np.float32), crop_boxes=np.zeros((len(ks), 4), np.float32))

    monkeypatch.setattr(ml_mod, "frame_masks", fake_frame_masks)
    out = generate_masklets(tiny, iter(clip.frames), AutoMaskConfig(reprompt_every=4, dedup_iou=0.0))
    assert calls == [0, 4]
    first = [p for p in out if p.start_frame == 0]
    assert len(first) == len([k for k in present0 if clip.masks[k, 0].sum() > 20])
    for p in first:
        assert p.frame_indices == tuple(range(8)) and len(p.scores) == 8
        assert all(0.0 <= s <= 1.0 for s in p.scores)
        assert p.masks().shape == (8, 64, 64) and p.masks().dtype == np.bool_
        assert p.rles[0]["size"] == [64, 64]
        assert set(p.flags) <= {"vanished", "split"}
    # dedup_iou 0: every frame-4 mask overlaps something tracked (or nothing is new): no duplicate
    assert all(p.start_frame in (0, 4) for p in out)
    with_dups = generate_masklets(tiny, list(clip.frames), AutoMaskConfig(reprompt_every=4, dedup_iou=1.0))
    later = [p for p in with_dups if p.start_frame == 4]
    assert later and later[0].frame_indices[0] == 4 and later[0].frame_indices[-1] == 7


def test_boxes_of_resized_masks_without_resizing_them() -> None:
    torch.manual_seed(0)
    smooth = torch.nn.functional.avg_pool2d(torch.randn(40, 1, 30, 54) * 20, 9, 1, 4)[:, 0]
    for logits in (smooth + 1, smooth - 3, smooth - 8):
        resized = torch.nn.functional.interpolate(logits[:, None], size=(121, 213), mode="bilinear",
                                                  align_corners=False)[:, 0] > 0
        exact = batched_mask_to_box(resized).float()
        approx = fm_mod._upsampled_boxes(logits, (121, 213), 0.0)
        filled = resized.flatten(1).any(-1)
        # the resized mask's box is always inside the cheap one, and off by under a pixel on average
        assert (approx[filled, :2] <= exact[filled, :2]).all() and (approx[filled, 2:] >= exact[filled, 2:]).all()
        assert (approx[filled] - exact[filled]).abs().mean() < 1.0
    blob = torch.full((1, 30, 54), -5.0)
    blob[0, 10:20, 5:30] = 5.0
    resized = torch.nn.functional.interpolate(blob[:, None], size=(120, 216), mode="bilinear")[:, 0] > 0
    assert fm_mod._upsampled_boxes(blob, (120, 216), 0.0).tolist() == batched_mask_to_box(resized).float().tolist()
    assert fm_mod._upsampled_boxes(torch.full((1, 4, 4), -1.0), (8, 8), 0.0).tolist() == [[0, 0, 0, 0]]
