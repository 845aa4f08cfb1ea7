"""Image-feature cache: the backbone runs once per frame, features are shared by all objects."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import torch


class FeatureCache:
    """LRU cache of ``network.forward_image`` outputs by frame index (``capacity`` frames)."""

    def __init__(self, network: torch.nn.Module, image_of: Callable[[int], torch.Tensor],
                 device: torch.device, capacity: int = 2) -> None:
        self.network = network
        self.image_of = image_of
        self.device = device
        self.capacity = capacity
        self._cache: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self.computed = 0  # number of backbone runs (tests check features are computed once)

    def backbone(self, frame_idx: int) -> dict[str, Any]:
        """forward_image output of frame ``frame_idx`` (batch 1)."""
        if frame_idx in self._cache:
            self._cache.move_to_end(frame_idx)
            return self._cache[frame_idx]
        image = self.image_of(frame_idx).to(self.device)
        out = self.network.forward_image(image)
        self.computed += 1
        self._cache[frame_idx] = out
        while len(self._cache) > self.capacity:
            self._cache.popitem(last=False)
        return out

    def features(self, frame_idx: int, batch: int) -> tuple[list[torch.Tensor], list[torch.Tensor], list]:
        """(vision_feats, vision_pos_embeds, feat_sizes) of the frame expanded to ``batch`` objects.

        vision_feats / vision_pos_embeds: lists of float [HW, batch, C] per level, coarse last.
        """
        out = self.backbone(frame_idx)
        expanded = {
            "backbone_fpn": [f.expand(batch, -1, -1, -1) for f in out["backbone_fpn"]],
            "vision_pos_enc": [p.expand(batch, -1, -1, -1) for p in out["vision_pos_enc"]],
        }
        _, feats, pos, sizes = self.network._prepare_backbone_features(expanded)
        return feats, pos, sizes
