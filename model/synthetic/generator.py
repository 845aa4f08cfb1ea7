"""Procedural surgical-like video clips with exact per-instrument masks (pure numpy).

``generate_clip(seed=0, n_frames=16, height=128, width=128, n_instruments=2)`` returns a
:class:`SyntheticClip`: textured tissue with vessels and specular highlights, camera drift, smoke
and motion blur, and elongated instruments that enter, leave, cross and occlude each other.
The same arguments always give the same clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.errors import InvalidInputError
from model.synthetic.instruments import random_path, render_instrument
from model.synthetic.organs import random_blob, render_blob
from model.synthetic.tissue import fractal_noise, tissue_canvas


@dataclass(frozen=True)
class SyntheticClip:
    """A generated clip.

    frames: uint8 [T, H, W, 3] RGB; masks: bool [K, T, H, W] visible (occlusion-aware) mask of
    each instrument; object_ids: int ids 1..K matching masks' first axis; seed: generator seed.
    """

    frames: np.ndarray
    masks: np.ndarray
    object_ids: tuple[int, ...]
    seed: int

    def label_maps(self) -> np.ndarray:
        """uint8 [T, H, W]: 0 background, k = object_ids[k-1] (DAVIS-style index maps)."""
        out = np.zeros(self.masks.shape[1:], np.uint8)
        for k, obj in enumerate(self.object_ids):
            out[self.masks[k]] = obj
        return out


def generate_clip(
    seed: int, n_frames: int = 16, height: int = 128, width: int = 128, n_instruments: int = 2,
    n_blobs: int = 0,
) -> SyntheticClip:
    """Generate a deterministic surgical-like clip (see module docstring).

    n_blobs: extra deformable textured objects (organs, gauze) drifting under the instruments;
    their masks follow the instruments' in ``masks`` (ids n_instruments+1 ...).
    """
    if n_frames < 1 or height < 16 or width < 16 or n_instruments < 0 or n_blobs < 0:
        raise InvalidInputError(
            "generate_clip needs n_frames >= 1, height and width >= 16, n_instruments >= 0, n_blobs >= 0"
        )
    rng = np.random.default_rng(seed)
    margin = max(8, int(0.15 * max(height, width)))
    canvas = tissue_canvas(rng, height + 2 * margin, width + 2 * margin)
    # camera drift: smooth path inside the margin
    freq = rng.uniform(0.5, 1.5, 2) * 2 * np.pi / max(n_frames, 8)
    phase = rng.uniform(0, 2 * np.pi, 2)
    paths = [random_path(rng, height, width, n_frames) for _ in range(n_instruments)]
    blob_rng = np.random.default_rng([seed, 1])  # separate stream: n_blobs=0 clips stay unchanged
    blobs = [random_blob(blob_rng, height, width) for _ in range(n_blobs)]
    n_obj = n_instruments + n_blobs
    smoke_field = fractal_noise(rng, height, width, octaves=3)
    smoke_peak = float(rng.uniform(0.0, 0.45))
    smoke_centre = float(rng.uniform(0, n_frames))
    blur_frames = set(rng.choice(n_frames, size=max(0, n_frames // 8), replace=False).tolist())
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    r2 = ((xx - width / 2) / (width / 2)) ** 2 + ((yy - height / 2) / (height / 2)) ** 2
    vignette = np.clip(1.15 - 0.35 * r2, 0.35, 1.0)[..., None].astype(np.float32)

    frames = np.zeros((n_frames, height, width, 3), np.uint8)
    masks = np.zeros((n_obj, n_frames, height, width), bool)
    for t in range(n_frames):
        ox = round(margin + margin * 0.8 * np.sin(freq[0] * t + phase[0]))
        oy = round(margin + margin * 0.8 * np.sin(freq[1] * t + phase[1]))
        img = canvas[oy:oy + height, ox:ox + width].copy()
        covered = np.zeros((height, width), bool)
        # draw back to front; later instruments are nearer the camera and occlude earlier ones
        rendered = [render_instrument(p, t, height, width) for p in paths]
        rendered += [render_blob(b, t, height, width) for b in blobs]
        for k in _draw_order(n_instruments, n_blobs):
            m, col = rendered[k]
            visible = m & ~covered
            masks[k, t] = visible
            covered |= m
        for k in reversed(_draw_order(n_instruments, n_blobs)):
            m, col = rendered[k]
            img[masks[k, t]] = col[masks[k, t]]
        smoke = smoke_peak * np.exp(-((t - smoke_centre) ** 2) / (2 * (0.2 * n_frames + 1) ** 2))
        if smoke > 0.01:
            a = (smoke * smoke_field)[..., None]
            img = img * (1 - a) + np.float32(0.85) * a
        if t in blur_frames:
            img = (img + np.roll(img, 1, axis=1) + np.roll(img, -1, axis=1)
                   + np.roll(img, 2, axis=1) + np.roll(img, -2, axis=1)) / 5
        img = img * vignette + rng.normal(0, 0.012, img.shape).astype(np.float32)
        frames[t] = np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return SyntheticClip(frames=frames, masks=masks,
                         object_ids=tuple(range(1, n_obj + 1)), seed=int(seed))


def _draw_order(n_instruments: int, n_blobs: int) -> list[int]:
    """Object indices nearest-first: instruments (last one nearest) above blobs (last one nearest)."""
    return list(range(n_instruments - 1, -1, -1)) + list(range(n_instruments + n_blobs - 1, n_instruments - 1, -1))
