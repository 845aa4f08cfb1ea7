"""Neck of the default network: EfficientNet-Lite pyramid -> SAM 2 decoder inputs."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from model.network.lite.efficientnet_lite import LEVEL_CHANNELS, Pyramid


class LiteNeck(nn.Module):
    """Projects the pyramid to ``dim`` channels: the image embedding (stride 16, the coarse level
    added upsampled) and the stride-4 / stride-8 maps the mask decoder's high-res path takes.

    forward(pyramid) -> (embedding [B,dim,H/16,W/16], [p4 [B,dim,H/4,W/4], p8 [B,dim,H/8,W/8]]).
    """

    def __init__(self, *, dim: int) -> None:
        super().__init__()
        c4, c8, c16, c32 = LEVEL_CHANNELS
        self.proj4 = nn.Conv2d(c4, dim, 1)
        self.proj8 = nn.Conv2d(c8, dim, 1)
        self.proj16 = nn.Conv2d(c16, dim, 1)
        self.proj32 = nn.Conv2d(c32, dim, 1)
        self.fuse16 = nn.Conv2d(dim, dim, 3, padding=1)

    def forward(self, pyramid: Pyramid) -> tuple[torch.Tensor, list[torch.Tensor]]:
        top = F.interpolate(self.proj32(pyramid.s32), size=pyramid.s16.shape[-2:], mode="nearest")
        embedding = self.fuse16(self.proj16(pyramid.s16) + top)
        return embedding, [self.proj4(pyramid.s4), self.proj8(pyramid.s8)]
