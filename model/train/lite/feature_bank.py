"""Frozen-encoder features of every training image, computed once and held in memory (float16)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from model.network.lite.efficientnet_lite import Pyramid
from model.network.lite.lite_sam import LiteSam
from model.train.lite.training_data import Sample


class FeatureBank:
    """Per sample i: pyramid levels (float16), masks at stride 2 (bool [K, H/2, W/2]) and at the
    stride-16 grid (float [K, H/16, W/16], area fraction), video id and frame index; ``flip``
    adds each image mirrored as a further sample."""

    def __init__(self, net: LiteSam, samples: list[Sample], *, flip: bool = True, batch: int = 4,
                 on_progress: Callable[[int, int], None] | None = None) -> None:
        self.levels: list[list[torch.Tensor]] = []
        self.masks2: list[torch.Tensor] = []
        self.masks16: list[torch.Tensor] = []
        self.video: list[int] = []
        self.index: list[int] = []
        variants = [(s, False) for s in samples] + ([(s, True) for s in samples] if flip else [])
        h, w = samples[0].frame.shape[:2]
        for start in range(0, len(variants), batch):
            chunk = variants[start:start + batch]
            frames = np.stack([s.frame[:, ::-1] if f else s.frame for s, f in chunk])
            with torch.inference_mode():
                pyr = net.pyramid(net.preprocess(torch.from_numpy(np.ascontiguousarray(frames)), (h, w)))
            for i, (s, f) in enumerate(chunk):
                self.levels.append([lv[i].half().clone() for lv in (pyr.s4, pyr.s8, pyr.s16, pyr.s32)])
                m = torch.from_numpy(np.ascontiguousarray(s.masks[:, :, ::-1] if f else s.masks)).float()
                self.masks2.append(F.avg_pool2d(m[None], 2)[0] >= 0.5)
                self.masks16.append(F.adaptive_avg_pool2d(m[None], pyr.s16.shape[-2:])[0])
                # a mirrored clip is another video (its frames must not mix with the original's)
                self.video.append(-1 if s.video < 0 else s.video * 2 + int(f))
                self.index.append(s.index)
            if on_progress:
                on_progress(min(start + batch, len(variants)), len(variants))
        self.by_video: dict[int, dict[int, int]] = {}
        for i, (v, t) in enumerate(zip(self.video, self.index)):
            if v >= 0:
                self.by_video.setdefault(v, {})[t] = i

    def __len__(self) -> int:
        return len(self.levels)

    def pyramid(self, rows: list[int]) -> Pyramid:
        """Stacked float32 pyramid of samples ``rows``."""
        return Pyramid(*[torch.stack([self.levels[r][k] for r in rows]).float() for k in range(4)])
