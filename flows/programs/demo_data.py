"""Surgical-like demo videos: generated clips (model/synthetic) written as real H.264 mp4 files
with PyAV, plus their ground-truth id maps (``.npz``) for the oracle reviewer and validation.

Splits are fixed by each video's sha256 (storage/versions/splits.py), so the demo keeps generating
clips (seeds 0, 1, 2, ...) until it has the training and validation videos it asked for; the
same arguments give the same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flows.cycle.ingest import IngestItem
from flows.errors import FlowError


@dataclass(frozen=True)
class DemoVideo:
    """A generated video file, its ground truth and the split its content hash puts it in."""

    seed: int
    path: Path
    ground_truth: Path
    split: str
    n_objects: int

    def item(self) -> IngestItem:
        return IngestItem(path=str(self.path), ground_truth=str(self.ground_truth))


def write_mp4(frames: np.ndarray, path: Path, *, fps: int) -> Path:
    """Encode uint8 [T, H, W, 3] frames as H.264 (near-lossless, one thread: reproducible bytes)."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = int(frames.shape[2]), int(frames.shape[1])
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "12", "preset": "veryfast", "threads": "1"}
        for image in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def read_demo_video(video: DemoVideo) -> tuple[list[np.ndarray], np.ndarray]:
    """The decoded frames (uint8 [H, W, 3] each, as ingested) and ground-truth id maps [T, H, W]."""
    import av

    with av.open(str(video.path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    ids = np.load(video.ground_truth)["id_maps"]
    return frames[: len(ids)], ids[: len(frames)]


def make_demo_videos(folder: Path, *, n_train: int, n_val: int, n_frames: int = 8, size: int = 128, fps: int = 6,
                     split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
                     max_seeds: int = 400) -> list[DemoVideo]:
    """Generate ``n_train`` training and ``n_val`` validation videos under ``folder``."""
    from model.synthetic.generator import generate_clip
    from storage.media.hashing import sha256_file
    from storage.versions.splits import split_for

    wanted = {"train": n_train, "val": n_val}
    out: list[DemoVideo] = []
    for seed in range(max_seeds):
        if all(sum(v.split == s for v in out) >= n for s, n in wanted.items()):
            break
        clip = generate_clip(seed, n_frames=n_frames, height=size, width=size, n_instruments=1 + seed % 2 + 1)
        path = write_mp4(clip.frames, folder / f"case-{seed:03d}.mp4", fps=fps)
        split = split_for(sha256_file(path), split_fractions)
        if sum(v.split == split for v in out) >= wanted.get(split, 0):
            path.unlink()
            continue
        gt = folder / f"case-{seed:03d}.npz"
        np.savez_compressed(gt, id_maps=clip.label_maps())
        out.append(DemoVideo(seed, path, gt, split, len(clip.object_ids)))
    else:
        raise FlowError(f"no {wanted} mix of splits within {max_seeds} seeds; lower the video counts")
    return out
