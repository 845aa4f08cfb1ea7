"""Elongated surgical-like instruments: a shaft entering from the border ending in two jaws."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class InstrumentPath:
    """Motion of one instrument over a clip (frame coordinates, pixels).

    entry: point on/outside the border the shaft comes from (x, y); angle0/angle_speed: direction
    of the shaft (radians, radians per frame); depth0/depth_amp/depth_freq/phase: insertion depth
    (pixels from the entry point to the tip) = depth0 + depth_amp * sin(depth_freq * t + phase);
    a depth below the distance to the border means the tool is out of view.
    width: shaft width in pixels; shade: base grey level; jaw_speed: jaw opening rate.
    """

    entry: tuple[float, float]
    angle0: float
    angle_speed: float
    depth0: float
    depth_amp: float
    depth_freq: float
    phase: float
    width: float
    shade: float
    jaw_speed: float


def random_path(rng: np.random.Generator, height: int, width: int, n_frames: int) -> InstrumentPath:
    """A random instrument path: enters from one of the four sides, some leave and come back."""
    side = int(rng.integers(0, 4))
    u = float(rng.uniform(0.15, 0.85))
    margin = 0.05 * max(height, width)
    entry, angle = {
        0: ((u * width, -margin), np.pi / 2),
        1: ((width + margin, u * height), np.pi),
        2: ((u * width, height + margin), -np.pi / 2),
        3: ((-margin, u * height), 0.0),
    }[side]
    angle += float(rng.uniform(-0.6, 0.6))
    span = min(height, width)
    return InstrumentPath(
        entry=(float(entry[0]), float(entry[1])),
        angle0=angle,
        angle_speed=float(rng.uniform(-0.03, 0.03)),
        depth0=float(rng.uniform(0.35, 0.7)) * span,
        depth_amp=float(rng.uniform(0.1, 0.5)) * span,
        depth_freq=float(rng.uniform(0.5, 2.0)) * 2 * np.pi / max(n_frames, 8),
        phase=float(rng.uniform(0, 2 * np.pi)),
        width=float(rng.uniform(0.045, 0.085)) * span,
        shade=float(rng.uniform(0.45, 0.8)),
        jaw_speed=float(rng.uniform(0.1, 0.4)),
    )


def render_instrument(
    path: InstrumentPath, t: int, height: int, width: int
) -> tuple[np.ndarray, np.ndarray]:
    """Render the instrument at frame ``t``.

    Returns (mask bool [H, W], colour float32 [H, W, 3] in [0, 1], valid where mask).
    """
    angle = path.angle0 + path.angle_speed * t
    depth = path.depth0 + path.depth_amp * np.sin(path.depth_freq * t + path.phase)
    ex, ey = path.entry
    dx, dy = np.cos(angle), np.sin(angle)
    tx, ty = ex + dx * depth, ey + dy * depth
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    # along: distance along the shaft from the entry point; across: signed distance from the axis
    along = (xx - ex) * dx + (yy - ey) * dy
    across = -(xx - ex) * dy + (yy - ey) * dx
    half = path.width / 2
    shaft = (along >= -depth) & (along <= depth) & (np.abs(across) <= half)
    # jaws: two thin wedges beyond the tip that open and close
    jaw_len = 1.6 * path.width
    opening = 0.25 + 0.2 * np.sin(path.jaw_speed * t)
    beyond = along - depth
    in_len = (beyond > 0) & (beyond <= jaw_len)
    jaw_w = half * 0.45 * (1 - beyond / jaw_len)
    upper = np.abs(across - beyond * opening - half * 0.3) <= jaw_w
    lower = np.abs(across + beyond * opening + half * 0.3) <= jaw_w
    mask = shaft | (in_len & (upper | lower))
    # cylinder shading across the shaft plus a specular stripe
    rel = np.clip(across / half, -1.0, 1.0)
    light = path.shade * (0.55 + 0.45 * np.sqrt(1 - rel * rel)) + 0.5 * np.exp(-((rel - 0.35) ** 2) / 0.01)
    colour = np.repeat(np.clip(light, 0.0, 1.0)[..., None], 3, axis=2).astype(np.float32)
    colour *= np.array([0.95, 0.97, 1.0], np.float32)
    _ = (tx, ty)
    return mask, colour
