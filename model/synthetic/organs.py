"""Deformable textured blobs (organs, gauze, tissue flaps) that drift and deform over a clip."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.synthetic.tissue import fractal_noise


@dataclass(frozen=True)
class Blob:
    """A blob: centre (x, y) + velocity (px/frame), radius (px), shape harmonics and texture.

    harmonics: [n, 3] rows (k, amplitude, phase) of r(theta) = radius * (1 + sum a cos(k theta + p));
    wobble: phase speed of the harmonics (deformation, rad/frame); colour: RGB in [0, 1];
    texture: float32 [2R, 2R] noise in [0, 1] carried with the blob.
    """

    centre: tuple[float, float]
    velocity: tuple[float, float]
    radius: float
    harmonics: np.ndarray
    wobble: float
    colour: np.ndarray
    texture: np.ndarray


def random_blob(rng: np.random.Generator, height: int, width: int) -> Blob:
    span = min(height, width)
    radius = float(rng.uniform(0.1, 0.25)) * span
    k = np.arange(2, 5, dtype=np.float32)
    harmonics = np.stack([k, rng.uniform(0.03, 0.15, 3), rng.uniform(0, 2 * np.pi, 3)], axis=1).astype(np.float32)
    size = int(2 * radius * 1.6) + 2
    return Blob(
        centre=(float(rng.uniform(0.2, 0.8) * width), float(rng.uniform(0.2, 0.8) * height)),
        velocity=(float(rng.normal(0, 0.012 * span)), float(rng.normal(0, 0.012 * span))),
        radius=radius,
        harmonics=harmonics,
        wobble=float(rng.uniform(0.02, 0.12)),
        colour=rng.uniform(0.1, 0.95, 3).astype(np.float32),
        texture=fractal_noise(rng, size, size, octaves=3),
    )


def render_blob(blob: Blob, t: int, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(mask bool [H, W], colour float32 [H, W, 3]) of the blob at frame ``t``."""
    cx = blob.centre[0] + blob.velocity[0] * t
    cy = blob.centre[1] + blob.velocity[1] * t
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    dx, dy = xx - cx, yy - cy
    theta = np.arctan2(dy, dx)
    dist = np.hypot(dx, dy)
    r = np.ones_like(theta)
    for k, a, p in blob.harmonics:
        r += a * np.cos(k * theta + p + blob.wobble * t)
    r *= blob.radius
    mask = dist <= r
    size = blob.texture.shape[0]
    tx = np.clip((dx + size / 2).astype(int), 0, size - 1)
    ty = np.clip((dy + size / 2).astype(int), 0, size - 1)
    tex = blob.texture[ty, tx]
    shade = np.clip(1.0 - 0.45 * (dist / np.maximum(r, 1e-3)) ** 2, 0.3, 1.0)
    colour = blob.colour[None, None, :] * (0.55 + 0.6 * tex[..., None]) * shade[..., None]
    return mask, np.clip(colour, 0.0, 1.0).astype(np.float32)
