"""Clicks and boxes drawn on the embedding grid (model/network/lite/click_maps.py)."""

from __future__ import annotations

import torch

from model.network.lite.click_maps import CHANNELS, ClickEncoder, click_maps


def _maps(points: list[tuple[float, float]], labels: list[int], grid=(6, 8)) -> torch.Tensor:
    return click_maps(torch.tensor([points], dtype=torch.float32), torch.tensor([labels], dtype=torch.int32), grid)[0]


def test_positive_click_peaks_at_its_cell() -> None:
    maps = _maps([(5 * 16 + 8, 2 * 16 + 8), (0, 0)], [1, -1])
    assert maps.shape == (CHANNELS, 6, 8)
    for ch in (0, 1):
        assert divmod(int(maps[ch].argmax()), 8) == (2, 5)
        assert float(maps[ch].max()) == 1.0
    assert float(maps[0, 2, 3]) < 0.2 < float(maps[1, 2, 3])  # the wide bump reaches 2 cells away
    assert float(maps[2:].abs().sum()) == 0.0  # no negative click, no box; the padding draws nothing


def test_negative_click_and_box_have_their_own_channels() -> None:
    maps = _maps([(8, 8), (16, 16), (80, 64)], [0, 2, 3])
    assert float(maps[:2].sum()) == 0.0
    assert divmod(int(maps[2].argmax()), 8) == (0, 0)
    inside = maps[3] > 0
    assert inside[1:4, 1:5].all() and int(inside.sum()) == 12  # cell centres 24..72 x 24..56


def test_several_clicks_and_rows_stay_apart() -> None:
    pts = torch.tensor([[[8.0, 8.0], [120.0, 88.0]], [[0.0, 0.0], [0.0, 0.0]]])
    labels = torch.tensor([[1, 1], [-1, -1]], dtype=torch.int32)
    maps = click_maps(pts, labels, (6, 8))
    assert float(maps[0, 0, 0, 0]) == 1.0 and float(maps[0, 0, 5, 7]) == 1.0
    assert float(maps[1].abs().sum()) == 0.0


def test_encoder_output_shape_and_gradient() -> None:
    enc = ClickEncoder(dim=16)
    pts = torch.tensor([[[40.0, 30.0]]])
    out = enc(pts, torch.ones(1, 1, dtype=torch.int32), (4, 5))
    assert out.shape == (1, 16, 4, 5)
    out.square().sum().backward()
    assert enc.conv.weight.grad is not None and float(enc.conv.weight.grad.abs().sum()) > 0
