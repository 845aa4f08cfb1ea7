"""Test videos and frame folders whose pixels say which frame they are.

Frame ``i`` of a generated clip encodes ``i`` in binary as ``BITS`` vertical bands (white = 1,
black = 0, most significant bit left), wide enough to survive lossy compression, so a decoded
frame tells its own source number (:func:`frame_number`). Videos can carry identifying container
and stream metadata (:data:`SECRET_TAGS`) for de-identification tests.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image

BITS = 10  # up to 1023 frames

# Identifying metadata a camera or phone writes; none of it may be stored anywhere.
SECRET_TAGS = {
    "title": "PATIENT-JANE-DOE-0042",
    "comment": "OR-7 Dr.Secretname",
    "creation_time": "2019-07-14T09:41:27.000000Z",
    "location": "+48.8577+002.2950/",
    "location-eng": "+48.8577+002.2950/",
    "com.apple.quicktime.make": "SecretCam",
    "com.apple.quicktime.model": "SERIAL-SN123456789",
    "encoder": "SecretEncoder 9.9",
    "artist": "Hospital-St-Secret",
}


def numbered_frame(index: int, *, width: int = 160, height: int = 96) -> np.ndarray:
    """H x W x 3 uint8 frame whose bands encode ``index`` (see module doc)."""
    image = np.zeros((height, width, 3), dtype=np.uint8)
    band = width // BITS
    for bit in range(BITS):
        if (index >> (BITS - 1 - bit)) & 1:
            image[:, bit * band:(bit + 1) * band] = 255
    return image


def frame_number(image: np.ndarray) -> int:
    """The index a decoded :func:`numbered_frame` encodes (band means thresholded at 128)."""
    width = image.shape[1]
    band = width // BITS
    value = 0
    for bit in range(BITS):
        column = image[:, bit * band + band // 4:(bit + 1) * band - band // 4]
        value = (value << 1) | int(column.mean() > 128)
    return value


def write_numbered_video(
    path: Path, *, n_frames: int, fps: int = 25, codec: str = "libx264", width: int = 160, height: int = 96,
    metadata: dict[str, str] | None = None,
) -> Path:
    """Encode ``n_frames`` numbered frames at ``fps`` into ``path`` (container from the suffix),
    with ``metadata`` written as container and stream tags."""
    with av.open(str(path), mode="w") as container:
        for key, value in (metadata or {}).items():
            container.metadata[key] = value
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for key, value in (metadata or {}).items():
            stream.metadata[key] = value
        for i in range(n_frames):
            frame = av.VideoFrame.from_ndarray(numbered_frame(i, width=width, height=height), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_frame_folder(folder: Path, *, n_frames: int, width: int = 160, height: int = 96,
                       suffix: str = ".jpg", start: int = 0) -> list[Path]:
    """Write numbered frames as ``00000.jpg ...`` (DAVIS naming) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(start, start + n_frames):
        path = folder / f"{i:05d}{suffix}"
        Image.fromarray(numbered_frame(i, width=width, height=height)).save(path, quality=95)
        paths.append(path)
    return paths


def davis_object_ids(k: int, *, width: int = 64, height: int = 40) -> np.ndarray:
    """Object-id map of frame k of a generated two-object DAVIS sequence (H x W uint8): object 1
    moves right 4 px per frame, object 2 stays put and is gone from frame 3 on."""
    ids = np.zeros((height, width), dtype=np.uint8)
    ids[5:15, k * 4:k * 4 + 10] = 1
    if k < 3:
        ids[25:35, 40:50] = 2
    return ids


def write_davis_layout(root: Path, sequences: dict[str, int], *, binary: bool = False,
                       width: int = 64, height: int = 40) -> Path:
    """A DAVIS-layout folder: ``JPEGImages/480p/<seq>`` numbered frames and ``Annotations/480p/<seq>``
    palette PNGs of :func:`davis_object_ids` (``binary``: 0/255 grayscale PNGs of object 1 only)."""
    palette: list[int] = []
    for index in range(256):  # DAVIS / PASCAL VOC colormap
        r = g = b = 0
        c = index
        for shift in range(7, -1, -1):
            r, g, b = r | (c & 1) << shift, g | ((c >> 1) & 1) << shift, b | ((c >> 2) & 1) << shift
            c >>= 3
        palette.extend((r, g, b))
    for name, n in sequences.items():
        write_frame_folder(root / "JPEGImages" / "480p" / name, n_frames=n, width=width, height=height)
        masks = root / "Annotations" / "480p" / name
        masks.mkdir(parents=True)
        for k in range(n):
            ids = davis_object_ids(k, width=width, height=height)
            if binary:
                Image.fromarray(((ids == 1) * 255).astype(np.uint8), mode="L").save(masks / f"{k:05d}.png")
            else:
                img = Image.fromarray(ids, mode="P")
                img.putpalette(palette)
                img.save(masks / f"{k:05d}.png")
    return root
