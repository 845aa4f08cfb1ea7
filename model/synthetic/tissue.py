"""Procedural tissue background: smooth colour noise, vessels and specular highlights (numpy)."""

from __future__ import annotations

import itertools

import numpy as np


def smooth_noise(rng: np.random.Generator, height: int, width: int, cells: int) -> np.ndarray:
    """Band-limited noise in [0, 1], float32 [height, width]: a random ``cells`` grid upsampled bilinearly."""
    grid = rng.random((cells + 2, cells + 2)).astype(np.float32)
    ys = np.linspace(0, cells, height, dtype=np.float32)
    xs = np.linspace(0, cells, width, dtype=np.float32)
    y0, x0 = ys.astype(int), xs.astype(int)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    fy, fx = fy * fy * (3 - 2 * fy), fx * fx * (3 - 2 * fx)  # smoothstep
    a = grid[y0][:, x0]
    b = grid[y0][:, x0 + 1]
    c = grid[y0 + 1][:, x0]
    d = grid[y0 + 1][:, x0 + 1]
    return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy


def fractal_noise(rng: np.random.Generator, height: int, width: int, octaves: int = 4) -> np.ndarray:
    """Sum of :func:`smooth_noise` octaves, normalised to [0, 1], float32 [height, width]."""
    total = np.zeros((height, width), np.float32)
    amp, norm = 1.0, 0.0
    for o in range(octaves):
        total += amp * smooth_noise(rng, height, width, 3 * 2**o)
        norm += amp
        amp *= 0.5
    return total / norm


def polyline_distance(points: np.ndarray, height: int, width: int) -> np.ndarray:
    """Distance in pixels from every pixel to a polyline ``points`` [P, 2] (x, y); float32 [H, W]."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    best = np.full((height, width), np.inf, np.float32)
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        dx, dy = x1 - x0, y1 - y0
        length2 = max(dx * dx + dy * dy, 1e-6)
        t = np.clip(((xx - x0) * dx + (yy - y0) * dy) / length2, 0.0, 1.0)
        dist = np.hypot(xx - (x0 + t * dx), yy - (y0 + t * dy))
        np.minimum(best, dist, out=best)
    return best


def tissue_canvas(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A tissue texture, float32 [height, width, 3] in [0, 1]: reddish/pink/yellow (fat) patches,
    dark branching vessels and small specular highlights."""
    base = np.array([0.72, 0.28, 0.25], np.float32) + rng.normal(0, 0.05, 3).astype(np.float32)
    fat = np.array([0.85, 0.72, 0.45], np.float32)
    n1 = fractal_noise(rng, height, width)
    n2 = fractal_noise(rng, height, width, octaves=3)
    fat_w = np.clip((n2 - 0.55) * 4.0, 0.0, 1.0)[..., None]
    img = base * (0.65 + 0.6 * n1[..., None])
    img = img * (1 - fat_w) + fat * (0.8 + 0.3 * n1[..., None]) * fat_w
    vessel_col = np.array([0.45, 0.08, 0.12], np.float32)
    for _ in range(int(rng.integers(2, 5))):
        n_pts = 6
        start = rng.random(2) * [width, height]
        steps = rng.normal(0, 1, (n_pts, 2)) * (0.15 * min(height, width))
        pts = np.cumsum(np.vstack([start, steps]), axis=0).astype(np.float32)
        thick = float(rng.uniform(0.8, 2.5)) * max(height, width) / 256
        d = polyline_distance(pts, height, width)
        alpha = np.clip(1.2 - d / thick, 0.0, 1.0)[..., None] * 0.8
        img = img * (1 - alpha) + vessel_col * alpha
    glints = np.zeros((height, width), np.float32)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    for _ in range(int(rng.integers(3, 9))):
        cx, cy = rng.random() * width, rng.random() * height
        r = float(rng.uniform(1.0, 3.5)) * max(height, width) / 256
        glints = np.maximum(glints, np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r)))
    img = img + glints[..., None] * 0.9
    return np.clip(img, 0.0, 1.0)
