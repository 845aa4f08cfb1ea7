"""Training-free memory readout: label propagation over frozen image features.

Each query cell of the current frame takes the ``top_k`` most similar memory cells (cosine
similarity of L2-normalised features), softmax-weights them at ``temperature`` and averages their
per-object mask values. Cells of non-conditioning (recent) memory frames farther than ``radius``
cells from the query are ignored: objects move little between neighbouring frames. Every object
of a group is read out by the same weights in one matrix product.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def readout_keys(s8: torch.Tensor, s16: torch.Tensor) -> torch.Tensor:
    """Frozen stride-8 [B,C8,2h,2w] and stride-16 [B,C16,h,w] features -> keys [B,C8+C16,h,w]
    (each level L2-normalised over channels, the concatenation scaled back to unit norm)."""
    a = F.avg_pool2d(s8.float(), 2, ceil_mode=True)[..., : s16.shape[-2], : s16.shape[-1]]
    return torch.cat([F.normalize(a, dim=1), F.normalize(s16.float(), dim=1)], dim=1) * (0.5 ** 0.5)


def local_mask(h: int, w: int, radius: float, device: torch.device | str = "cpu") -> torch.Tensor:
    """bool [h*w, h*w]: True where two cells of an h x w grid lie within ``radius`` cells."""
    yy, xx = torch.meshgrid(torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij")
    pos = torch.stack([yy.flatten(), xx.flatten()], dim=1).float()
    return torch.cdist(pos, pos) <= radius


def affinity_readout(query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, *,
                     is_local: list[bool], near: torch.Tensor, top_k: int,
                     temperature: float) -> torch.Tensor:
    """Mask values of the memory frames, read at the query frame.

    query: keys of the current frame [C, h, w]; keys: memory frames' keys [T, C, h, w]; values:
    per-object mask probabilities on the memory frames [T, N, h, w] in [0, 1]; is_local: per
    memory frame, whether only cells within the radius count; near: :func:`local_mask` of the
    grid, bool [h*w, h*w]. Returns probabilities [N, h, w].
    """
    t, c, h, w = keys.shape
    q = query.reshape(c, h * w).t()                                   # [P, C]
    k = keys.reshape(t, c, h * w).permute(1, 0, 2).reshape(c, t * h * w)
    aff = (q @ k).view(h * w, t, h * w)                               # [P, T, P]
    if any(is_local):
        far = ~near
        for i in (i for i, local in enumerate(is_local) if local):
            aff[:, i].masked_fill_(far, float("-inf"))                # in place: no [P, T, P] copy
    aff = aff.view(h * w, t * h * w)
    top, idx = aff.topk(min(top_k, aff.shape[1]), dim=1)              # [P, K]
    weight = torch.softmax(top / temperature, dim=1)
    v = values.float().permute(0, 2, 3, 1).reshape(t * h * w, -1)    # [T*P, N]
    out = (weight[..., None] * v[idx]).sum(dim=1)                     # [P, N]
    return out.t().reshape(-1, h, w)


def fine_keys(s8: torch.Tensor, s16: torch.Tensor) -> torch.Tensor:
    """Frozen stride-8 [B,C8,2h,2w] and stride-16 [B,C16,h,w] features -> stride-8 keys
    [B,C8+C16,2h,2w] (the stride-16 level upsampled bilinearly; normalised as :func:`readout_keys`)."""
    up = F.interpolate(s16.float(), size=s8.shape[-2:], mode="bilinear", align_corners=False)
    return torch.cat([F.normalize(s8.float(), dim=1), F.normalize(up, dim=1)], dim=1) * (0.5 ** 0.5)


def boundary_band(values: torch.Tensor, margin: int) -> torch.Tensor:
    """Cells within ``margin`` cells of an object's boundary: values [T, N, H, W] in [0, 1] ->
    bool [T, H, W] (the value range in the (2 margin + 1)^2 window exceeds 0.5 for some object)."""
    k = 2 * margin + 1
    hi = F.max_pool2d(values, k, stride=1, padding=margin)
    lo = -F.max_pool2d(-values, k, stride=1, padding=margin)
    return ((hi - lo) > 0.5).any(dim=1)


def refine_readout(coarse: torch.Tensor, query: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, *,
                   is_local: list[bool], radius: float, top_k: int, temperature: float,
                   band: tuple[float, float] = (0.02, 0.98), margin: int = 8) -> torch.Tensor:
    """Coarse-to-fine readout: the stride-16 result, read again at stride 8 where it is unsure.

    coarse: :func:`affinity_readout` probabilities [N, h, w]; query: the frame's fine keys
    [C, 2h, 2w]; keys / values: the memory frames' fine keys [T, C, 2h, 2w] and mask
    probabilities [T, N, 2h, 2w]; radius in fine cells. Only query cells whose upsampled coarse
    probability lies inside ``band`` (for some object) are read again, and only from memory cells
    within ``margin`` cells of a memory mask's boundary (where the fine detail is), so the cost
    follows the objects' outlines, not the frame size. Returns probabilities [N, 2h, 2w].
    """
    t, c, hh, ww = keys.shape
    up = F.interpolate(coarse[None].float(), size=(hh, ww), mode="bilinear", align_corners=False)[0]
    ask = ((up > band[0]) & (up < band[1])).any(dim=0).flatten()          # [P]
    have = boundary_band(values.float(), margin).reshape(t, hh * ww)      # [T, P]
    if not ask.any() or not have.any():
        return up
    grid = torch.stack(torch.meshgrid(torch.arange(hh, device=keys.device),
                                      torch.arange(ww, device=keys.device), indexing="ij"), dim=-1)
    grid = grid.reshape(-1, 2).float()
    qi = ask.nonzero()[:, 0]
    ti, mi = have.nonzero(as_tuple=True)                                  # memory cells (frame, cell)
    q = query.reshape(c, -1)[:, qi].t().float()                           # [Q, C]
    k = keys.reshape(t, c, -1).permute(0, 2, 1)[ti, mi].float()           # [M, C]
    aff = q @ k.t()                                                       # [Q, M]
    local = torch.tensor(is_local, device=keys.device)[ti]
    if local.any():
        far = torch.cdist(grid[qi], grid[mi]) > radius
        aff.masked_fill_(far & local[None], float("-inf"))
    top, idx = aff.topk(min(top_k, aff.shape[1]), dim=1)
    weight = torch.softmax(top / temperature, dim=1)
    v = values.float().permute(0, 2, 3, 1).reshape(t, hh * ww, -1)[ti, mi]  # [M, N]
    fine = (weight[..., None] * v[idx]).sum(dim=1)                        # [Q, N]
    reached = torch.isfinite(top[:, 0])
    out = up.reshape(up.shape[0], -1).clone()
    out[:, qi[reached]] = fine[reached].t()
    return out.reshape(-1, hh, ww)
