"""The shipped ``builtin:default`` weights segment what is clicked: a click on each of two
instruments of a generated frame (a seed the training clips did not use) gives each its own mask."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.ndimage import distance_transform_edt

from model.network.refs import LoadedModel, load_model
from model.synthetic.generator import generate_clip


@pytest.fixture(scope="module")
def default() -> LoadedModel:
    return load_model("builtin:default", device="cpu")


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def _click_masks(model: LoadedModel, frame: np.ndarray, masks: np.ndarray) -> list[np.ndarray]:
    """Top-scored mask (bool [H, W]) for one positive click at each mask's deepest interior point."""
    net = model.network
    h, w = frame.shape[:2]
    size = net.input_size(h, w)
    out = []
    with torch.no_grad():
        feats = net.encode(net.preprocess(torch.from_numpy(frame)[None], size))
        for m in masks:
            y, x = np.unravel_index(distance_transform_edt(m).argmax(), m.shape)
            pt = torch.tensor([[[(x + 0.5) * size[1] / w - 0.5, (y + 0.5) * size[0] / h - 0.5], [0, 0]]],
                              dtype=torch.float32)
            logits, iou, _ = net.decode(feats, points=pt, labels=torch.tensor([[1, -1]], dtype=torch.int32),
                                        multimask=True)
            best = logits[:, int(iou[0].argmax())][None]
            out.append(F.interpolate(best, size=(h, w), mode="bilinear")[0, 0].numpy() > 0)
    return out


def test_a_click_on_each_of_two_instruments_gives_two_masks(default) -> None:
    clip = generate_clip(seed=987_654, n_frames=1, height=480, width=854, n_instruments=2)
    gt = clip.masks[:, 0]
    assert gt[0].any() and gt[1].any()
    pred = _click_masks(default, clip.frames[0], gt)
    assert _iou(pred[0], gt[0]) >= 0.5 and _iou(pred[1], gt[1]) >= 0.5
    assert _iou(pred[0], pred[1]) < 0.2
