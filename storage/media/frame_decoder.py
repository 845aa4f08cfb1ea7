"""Frame-exact decoding of a video with PyAV, sampled down to a target rate.

Frames are counted in decoder output (presentation) order from 0, every frame is decoded (no
seeking, no skipped frames), so stored frame ``k`` is exactly source frame
``sampled_source_indices(...)[k]``. Only kept frames are converted to RGB arrays.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from storage.media.sampling import sampled_source_indices
from storage.media.video_probe import VideoProbe, open_video, probe_video, unreadable


@dataclass(frozen=True)
class SampledFrame:
    """One kept frame: ``index`` (0-based after sampling), ``source_index`` (frame number in the
    file), ``image`` (H x W x 3 uint8 RGB)."""

    index: int
    source_index: int
    image: np.ndarray


def iter_sampled_frames(
    path: Path, *, fps: float | Fraction, probe: VideoProbe | None = None
) -> Iterator[SampledFrame]:
    """Decode ``path`` and yield the frames kept at ``fps`` (frames per second), in order.

    Raises InvalidInputError "not a readable video: <name> (...)" when decoding fails midway or the
    file ends before the frame count its container announces (truncated file).
    """
    path = Path(path)
    probe = probe or probe_video(path)
    wanted = sampled_source_indices(probe.n_frames, probe.rate, fps)
    container = open_video(path)
    try:
        stream = container.streams.video[0]
        next_k = 0
        decoded = 0
        try:
            for frame in container.decode(stream):
                if next_k < len(wanted) and decoded == wanted[next_k]:
                    if (frame.width, frame.height) != (probe.width, probe.height):
                        raise unreadable(path, f"frame {decoded} changes size to {frame.width}x{frame.height}")
                    # PyAV pads rows to its line size; a contiguous copy is ~0.05 ms and makes
                    # every consumer (Pillow's JPEG encoder: 15 ms -> 0.5 ms per 480p frame) fast
                    image = np.ascontiguousarray(frame.to_ndarray(format="rgb24"))
                    yield SampledFrame(index=next_k, source_index=decoded, image=image)
                    next_k += 1
                decoded += 1
        except av.FFmpegError as exc:
            raise unreadable(path, f"decoding failed after frame {decoded}; the file is damaged") from exc
        if decoded < probe.n_frames:
            raise unreadable(path, f"truncated: {decoded} of {probe.n_frames} frames decode")
    finally:
        container.close()
