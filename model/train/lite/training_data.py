"""Training data of the default network, read from disk (the training script's one I/O module).

DAVIS-2016 train sequences and COCO instance masks are read by path; procedural surgical-like clips
come from :mod:`model.synthetic`. Everything is resized to one model input size (H_in, W_in):
frames uint8 [H_in, W_in, 3], masks bool at the same size.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from model.errors import InvalidInputError, NotFoundError


@dataclass(frozen=True)
class Sample:
    """One training image: frame uint8 [H, W, 3]; masks bool [K, H, W]; video id and frame index
    (video = -1 for still images)."""

    frame: np.ndarray
    masks: np.ndarray
    video: int
    index: int


def _resize_frame(img: Image.Image, size: tuple[int, int]) -> np.ndarray:
    return np.asarray(img.convert("RGB").resize((size[1], size[0]), Image.BILINEAR))


def _resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    im = Image.fromarray(mask.astype(np.uint8) * 255).resize((size[1], size[0]), Image.BILINEAR)
    return np.asarray(im) >= 128


def davis_samples(root: Path, size: tuple[int, int], first_video: int = 0) -> list[Sample]:
    """Every frame of a DAVIS-2016-layout folder (one object per sequence, masks 0/255)."""
    images = Path(root) / "JPEGImages" / "480p"
    annotations = Path(root) / "Annotations" / "480p"
    if not images.is_dir():
        raise NotFoundError(f"{root} has no JPEGImages/480p; give a DAVIS-layout folder")
    out: list[Sample] = []
    for v, seq in enumerate(sorted(p.name for p in images.iterdir() if p.is_dir())):
        for k, jpg in enumerate(sorted((images / seq).glob("*.jpg"))):
            png = annotations / seq / (jpg.stem + ".png")
            if not png.is_file():
                continue
            mask = np.asarray(Image.open(png).convert("L")) > 127
            out.append(Sample(_resize_frame(Image.open(jpg), size), _resize_mask(mask, size)[None],
                              first_video + v, k))
    return out


def coco_samples(root: Path, size: tuple[int, int], min_area: float = 0.002) -> list[Sample]:
    """COCO images (resized to cover ``size``, centre-cropped) with their non-crowd instance
    masks covering at least ``min_area`` of the crop."""
    from pycocotools import mask as mask_utils

    root = Path(root)
    ann_file = root / "instances.json"
    if not ann_file.is_file():
        raise NotFoundError(f"{ann_file} does not exist; give the coco_mini folder")
    data = json.loads(ann_file.read_text())
    by_image: dict[int, list[dict]] = {}
    for ann in data["annotations"]:
        if not ann.get("iscrowd"):
            by_image.setdefault(ann["image_id"], []).append(ann)
    out: list[Sample] = []
    h_out, w_out = size
    for info in sorted(data["images"], key=lambda i: i["id"]):
        anns = by_image.get(info["id"])
        path = root / "images" / info["file_name"]
        if not anns or not path.is_file():
            continue
        h, w = info["height"], info["width"]
        scale = max(h_out / h, w_out / w)
        rh, rw = max(h_out, round(h * scale)), max(w_out, round(w * scale))
        y0, x0 = (rh - h_out) // 2, (rw - w_out) // 2
        img = np.asarray(Image.open(path).convert("RGB").resize((rw, rh), Image.BILINEAR))
        masks = []
        for ann in anns:
            seg = ann["segmentation"]
            rles = mask_utils.frPyObjects(seg, h, w) if isinstance(seg, list) else seg
            m = mask_utils.decode(mask_utils.merge(rles) if isinstance(rles, list) else rles) > 0
            m = _resize_mask(m, (rh, rw))[y0:y0 + h_out, x0:x0 + w_out]
            if m.mean() >= min_area:
                masks.append(m)
        if masks:
            out.append(Sample(np.ascontiguousarray(img[y0:y0 + h_out, x0:x0 + w_out]), np.stack(masks), -1, 0))
    if not out:
        raise InvalidInputError(f"{root} gave no usable COCO instance masks")
    return out


def procedural_samples(n_clips: int, n_frames: int, size: tuple[int, int], seed: int,
                       first_video: int) -> list[Sample]:
    """Generated surgical-like clips: half rendered at ``size``, half at a quarter of its area and
    upscaled (like small ingested videos); 1-3 instruments and 0-2 tissue blobs each."""
    from model.synthetic.generator import generate_clip

    out: list[Sample] = []
    for c in range(n_clips):
        rng = np.random.default_rng([seed, c])
        small = c % 2 == 1
        h, w = (size[0] // 2, size[1] // 2) if small else size
        clip = generate_clip(int(rng.integers(2**31 - 1)), n_frames, h, w, int(rng.integers(1, 4)),
                             n_blobs=int(rng.integers(0, 3)))
        for t in range(n_frames):
            frame, masks = clip.frames[t], clip.masks[:, t]
            if small:
                frame = _resize_frame(Image.fromarray(frame), size)
                masks = np.stack([_resize_mask(m, size) for m in masks])
            out.append(Sample(frame, masks, first_video + c, t))
    return out
