"""Training clip sampler over frames + per-object masks given as arrays (no storage access)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from model.errors import InvalidInputError

IMG_MEAN = (0.485, 0.456, 0.406)
IMG_STD = (0.229, 0.224, 0.225)

# A video: frames uint8 [T, H, W, 3] and masks bool [K, T, H, W] (one masklet per object).
Video = tuple[np.ndarray, np.ndarray]
VideoSource = Sequence[Video] | Callable[[np.random.Generator], Video]


@dataclass(frozen=True)
class TrainClip:
    """One training sample.

    images: float32 [T, 3, S, S], ImageNet-normalised; masks: bool [N, T, S, S] for the N sampled
    objects, all present on frame 0.
    """

    images: torch.Tensor
    masks: torch.Tensor


def preprocess_frames(frames: np.ndarray, image_size: int) -> torch.Tensor:
    """uint8 [T, H, W, 3] -> float32 [T, 3, S, S] resized (bilinear, antialiased) and normalised."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255.0
    if x.shape[-2:] != (image_size, image_size):
        x = F.interpolate(x, size=(image_size, image_size), mode="bilinear",
                          align_corners=False, antialias=True)
    mean = torch.tensor(IMG_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMG_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def resize_masks(masks: np.ndarray, image_size: int) -> torch.Tensor:
    """bool [..., H, W] -> bool [..., S, S] (bilinear, antialiased, threshold 0.5)."""
    m = torch.from_numpy(np.ascontiguousarray(masks)).float()
    lead = m.shape[:-2]
    m = m.reshape(-1, 1, *m.shape[-2:])
    if m.shape[-2:] != (image_size, image_size):
        m = F.interpolate(m, size=(image_size, image_size), mode="bilinear",
                          align_corners=False, antialias=True)
    return (m >= 0.5).reshape(*lead, image_size, image_size)


class ClipSampler:
    """Samples ``clip_len``-frame windows and up to ``max_objects`` objects visible on the first frame.

    source: a sequence of videos (frames uint8 [T,H,W,3], masks bool [K,T,H,W]) or a callable
    ``rng -> video`` producing one on demand. Sampling is a pure function of the rng given.
    """

    def __init__(self, source: VideoSource, *, clip_len: int, max_objects: int, image_size: int,
                 min_area: int = 16, flip: bool = True) -> None:
        if clip_len < 1 or max_objects < 1:
            raise InvalidInputError("clip_len and max_objects must be >= 1")
        self.source = source
        self.clip_len = clip_len
        self.max_objects = max_objects
        self.image_size = image_size
        self.min_area = min_area
        self.flip = flip

    def _video(self, rng: np.random.Generator) -> Video:
        if callable(self.source):
            return self.source(rng)
        if len(self.source) == 0:
            raise InvalidInputError("the training source holds no videos; give at least one")
        return self.source[int(rng.integers(0, len(self.source)))]

    def sample(self, rng: np.random.Generator, attempts: int = 20) -> TrainClip:
        """One clip; retries other windows/videos until one has an object on its first frame."""
        for _ in range(attempts):
            frames, masks = self._video(rng)
            _check_video(frames, masks)
            n = frames.shape[0]
            length = min(self.clip_len, n)
            start = int(rng.integers(0, n - length + 1))
            area = masks[:, start].reshape(masks.shape[0], -1).sum(-1)
            candidates = np.flatnonzero(area >= self.min_area)
            if len(candidates) == 0:
                continue
            chosen = rng.permutation(candidates)[: self.max_objects]
            images = preprocess_frames(frames[start:start + length], self.image_size)
            m = resize_masks(masks[chosen, start:start + length], self.image_size)
            if not m[:, 0].flatten(1).any(-1).all():
                continue
            if self.flip and rng.random() < 0.5:
                images, m = images.flip(-1), m.flip(-1)
            return TrainClip(images=images, masks=m)
        raise InvalidInputError(
            f"no object with >= {self.min_area} px found on sampled first frames after {attempts} "
            "tries; check that the masks are not empty"
        )


def _check_video(frames: np.ndarray, masks: np.ndarray) -> None:
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise InvalidInputError(f"frames must be uint8 [T,H,W,3], got {frames.dtype} {frames.shape}")
    if masks.ndim != 4 or masks.shape[1:] != frames.shape[:3] or masks.dtype != np.bool_:
        raise InvalidInputError(
            f"masks must be bool [K,T,H,W] matching frames {frames.shape[:3]}, got {masks.dtype} {masks.shape}"
        )
