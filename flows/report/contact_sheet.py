"""Overlay contact sheet: a grid of frames with the round's masklets drawn on them (PNG bytes).

One row per masklet (accepted first, then the others), ``n_frames`` evenly spaced frames of its
range per row; the mask is blended in a colour per status, its outline drawn solid.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from flows.cycle.media import load_frames, masklet_masks
from flows.cycle.workspace import Workspace
from storage.catalog.videos import get_video
from storage.records import MaskletStatus

COLORS = {"accepted": (39, 174, 96), "rejected": (192, 57, 43), "in_review": (241, 196, 15),
          "needs_fix": (230, 126, 34), "proposed": (127, 140, 141)}


def overlay(frame: np.ndarray, mask: np.ndarray, color: tuple[int, int, int], alpha: float = 0.45) -> np.ndarray:
    """uint8 [H, W, 3] with ``mask`` (bool [H, W]) blended in ``color`` and its outline drawn."""
    out = frame.astype(np.float32).copy()
    tint = np.array(color, np.float32)
    out[mask] = (1 - alpha) * out[mask] + alpha * tint
    edge = mask & ~(np.roll(mask, 1, 0) & np.roll(mask, -1, 0) & np.roll(mask, 1, 1) & np.roll(mask, -1, 1))
    out[edge] = tint
    return out.clip(0, 255).astype(np.uint8)


def contact_sheet(ws: Workspace, masklets: pd.DataFrame, *, n_frames: int = 6, max_rows: int = 12,
                  tile: int = 128) -> bytes | None:
    """PNG of the sheet (None when there is no masklet). ``masklets``: rows of ``round_masklets``."""
    from PIL import Image

    if masklets.empty:
        return None
    order = masklets.assign(_first=(masklets["status"] != MaskletStatus.ACCEPTED)).sort_values(["_first", "masklet_id"])
    rows = order.head(max_rows)
    frames_of: dict[int, np.ndarray] = {}
    sheet = Image.new("RGB", (n_frames * tile, len(rows) * tile), (20, 20, 20))
    for r, row in enumerate(rows.itertuples()):
        video_id = int(row.video_id)
        if video_id not in frames_of:
            frames_of[video_id] = load_frames(ws.store, get_video(ws.catalog, video_id))
        frames = frames_of[video_id]
        masks = masklet_masks(ws.store, row.blob_key, len(frames))
        picks = np.unique(np.linspace(int(row.frame_start), int(row.frame_end), n_frames).round().astype(int))
        for c, f in enumerate(picks):
            image = overlay(frames[f], masks[f], COLORS.get(row.status, (52, 152, 219)))
            sheet.paste(Image.fromarray(image).resize((tile, tile)), (c * tile, r * tile))
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG")
    return buffer.getvalue()
