"""The training-free readout: stride-16 label propagation and its stride-8 refinement."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from model.errors import InvalidInputError
from model.network.lite.affinity_readout import (
    affinity_readout,
    boundary_band,
    local_mask,
    refine_readout,
)
from model.network.lite.lite_sam import LiteConfig
from model.session.affinity_memory import AffinityMemory


def _keys_of(labels: torch.Tensor, channels: int = 8) -> torch.Tensor:
    """One-hot-like unit keys [C, H, W] from an int label map [H, W] (a cell's key says its label)."""
    return F.normalize(F.one_hot(labels.long(), channels).permute(2, 0, 1).float() + 1e-3, dim=0)


def _stripe(h: int, w: int, col: int, width: int = 1) -> torch.Tensor:
    m = torch.zeros(h, w)
    m[:, col:col + width] = 1.0
    return m


def test_boundary_band_marks_cells_near_an_outline_only() -> None:
    values = torch.zeros(1, 1, 20, 20)
    values[0, 0, 5:15, 5:15] = 1.0
    band = boundary_band(values, margin=2)[0]
    assert band[5, 5] and band[4, 10] and band[6, 10]     # on and next to the outline
    assert not band[10, 10] and not band[0, 0]            # deep inside, far outside
    assert not boundary_band(torch.zeros(1, 1, 8, 8), margin=2).any()


def test_refinement_recovers_a_stripe_the_coarse_grid_blurs() -> None:
    # a one-cell-wide stripe at stride 8 (column 9 of 24): half a stride-16 cell
    hh, ww = 16, 24
    labels = torch.zeros(hh, ww, dtype=torch.long)
    labels[:, 9] = 1
    fine_keys = _keys_of(labels)
    truth = _stripe(hh, ww, 9)
    coarse_keys = F.normalize(F.avg_pool2d(fine_keys[None], 2)[0], dim=0)
    coarse_values = F.avg_pool2d(truth[None, None], 2)[:, :]  # [T=1, N=1, h, w]
    near = local_mask(hh // 2, ww // 2, 7.0)
    coarse = affinity_readout(coarse_keys, coarse_keys[None], coarse_values, is_local=[False],
                              near=near, top_k=4, temperature=0.05)
    up = F.interpolate(coarse[None], size=(hh, ww), mode="bilinear", align_corners=False)[0]
    fine = refine_readout(coarse, fine_keys, fine_keys[None], truth[None, None], is_local=[False],
                          radius=14.0, top_k=4, temperature=0.05)
    assert fine.shape == (1, hh, ww)
    err_coarse = (up[0] - truth).abs().mean().item()
    err_fine = (fine[0] - truth).abs().mean().item()
    assert err_fine < 0.01 < err_coarse
    assert ((fine[0] > 0.5) == truth.bool()).all()


def test_refinement_keeps_the_coarse_answer_where_it_is_sure_or_nothing_is_reachable() -> None:
    hh, ww = 8, 8
    coarse = torch.zeros(1, hh // 2, ww // 2)
    keys = _keys_of(torch.zeros(hh, ww, dtype=torch.long))
    values = torch.zeros(1, 1, hh, ww)
    values[0, 0, 2:6, 2:6] = 1.0
    # sure everywhere (all 0): nothing is read again
    out = refine_readout(coarse, keys, keys[None], values, is_local=[False], radius=2.0,
                         top_k=4, temperature=0.05)
    assert torch.equal(out, torch.zeros(1, hh, ww))
    # unsure everywhere, but the only memory cells (near a one-cell object in a corner) lie in a
    # local frame out of reach of the far corner: it keeps the coarse 0.5
    hh = ww = 40
    keys = _keys_of(torch.zeros(hh, ww, dtype=torch.long))
    unsure = torch.full((1, hh // 2, ww // 2), 0.5)
    values = torch.zeros(1, 1, hh, ww)
    values[0, 0, 0, 0] = 1.0
    far = refine_readout(unsure, keys, keys[None], values, is_local=[True], radius=2.0,
                         top_k=4, temperature=0.05)
    assert torch.isfinite(far).all()
    assert far[0, 39, 39].item() == pytest.approx(0.5)
    assert far[0, 1, 1].item() < 0.5  # near the object it was read again


def test_a_fine_memory_reads_at_stride_8_and_a_coarse_one_at_16() -> None:
    hh, ww = 16, 24
    labels = torch.zeros(hh, ww, dtype=torch.long)
    labels[:, 9] = 1
    fine_keys = _keys_of(labels)
    coarse_keys = F.normalize(F.avg_pool2d(fine_keys[None], 2)[0], dim=0)
    truth = _stripe(hh, ww, 9)
    for fine in (True, False):
        mem = AffinityMemory(recent=2, top_k=4, temperature=0.05, radius=7.0, fine=fine)
        mem.add_object(0)
        for f in (0, 1):
            mem.put_keys(f, coarse_keys, fine_keys)
        value = truth if fine else F.avg_pool2d(truth[None, None], 2)[0, 0]
        mem.put(0, 0, value, cond=True)
        layout = mem.layout(0, 1, reverse=False)
        out = mem.read([0], 1, coarse_keys, layout, fine_keys)
        assert out.shape == ((1, hh, ww) if fine else (1, hh // 2, ww // 2))
        if fine:
            assert ((out[0] > 0.5) == truth.bool()).all()
        assert mem.resident_frames() == 2


def test_the_readout_settings_are_checked() -> None:
    assert LiteConfig().readout_stride == 16 and LiteConfig().readout_mix == 0.5
    with pytest.raises(InvalidInputError, match="readout_stride must be 8 or 16"):
        LiteConfig(readout_stride=12)
    with pytest.raises(InvalidInputError, match=r"readout_mix must lie in \[0, 1\]"):
        LiteConfig.from_overrides(("readout_mix=1.5",))
    old = ("long_side=864", "dim=64", "radius=7.0")  # a checkpoint written before the two fields
    assert LiteConfig.from_overrides(old).readout_stride == 16
