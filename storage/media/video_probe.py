"""Probing a video file with PyAV: frame count, rate, size, codec -- and nothing else.

Container and stream metadata (creation_time, GPS location, device, encoder, title, comments) are
deliberately never read into any record: :class:`VideoProbe` has no field that could carry them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from storage.errors import InvalidInputError, NotFoundError

# Formats PyAV opens for single still images; those are frames, not videos.
_STILL_IMAGE_FORMATS = ("image2", "_pipe")


def unreadable(path: Path, why: str) -> InvalidInputError:
    """The one error for a file that is not a usable video."""
    return InvalidInputError(f"not a readable video: {path.name} ({why})")


@dataclass(frozen=True)
class VideoProbe:
    """What ingest needs to know about a video file.

    ``n_frames``: frames in the first video stream (exact: from the container index, or counted by
    demuxing when the container has none, e.g. Matroska); ``rate``: average frames per second as
    an exact fraction; ``width``/``height`` in pixels; ``codec``: FFmpeg codec name (``h264``).
    """

    n_frames: int
    rate: Fraction
    width: int
    height: int
    codec: str

    @property
    def fps(self) -> float:
        return float(self.rate)


def open_video(path: Path) -> av.container.InputContainer:
    """Open ``path`` with PyAV or raise NotFoundError / InvalidInputError (never an av error)."""
    path = Path(path)
    if not path.exists():
        raise NotFoundError(f"no such file: {path}")
    if not path.is_file():
        raise InvalidInputError(f"not a file: {path}")
    if path.stat().st_size == 0:
        raise unreadable(path, "empty file")
    try:
        container = av.open(str(path), mode="r")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise unreadable(path, "unknown or damaged container") from exc
    fmt = container.format.name
    if fmt == "image2" or fmt.endswith("_pipe"):
        container.close()
        raise unreadable(path, "a still image; put frames in a folder to ingest them as a video")
    if not container.streams.video:
        container.close()
        raise unreadable(path, "no video stream")
    return container


def _count_packets(path: Path) -> int:
    """Frames of the first video stream counted by demuxing (no decoding), for containers such as
    Matroska that do not store a frame count."""
    container = open_video(path)
    try:
        stream = container.streams.video[0]
        return sum(1 for packet in container.demux(stream) if packet.size > 0)
    except av.FFmpegError as exc:
        raise unreadable(path, "damaged packets") from exc
    finally:
        container.close()


def probe_video(path: Path) -> VideoProbe:
    """Probe ``path``; raises InvalidInputError "not a readable video: <name> (...)" for corrupt,
    truncated, empty, zero-frame and non-video files, NotFoundError when it does not exist."""
    path = Path(path)
    container = open_video(path)
    try:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        if not rate or rate <= 0:
            raise unreadable(path, "no frame rate")
        n_frames = int(stream.frames) if stream.frames else _count_packets(path)
        if n_frames <= 0:
            raise unreadable(path, "zero frames")
        try:
            first = next(container.decode(stream), None)
        except av.FFmpegError as exc:
            raise unreadable(path, "first frame does not decode") from exc
        if first is None:
            raise unreadable(path, "zero decodable frames")
        return VideoProbe(
            n_frames=n_frames,
            rate=Fraction(rate.numerator, rate.denominator),
            width=int(first.width),
            height=int(first.height),
            codec=str(stream.codec_context.name),
        )
    finally:
        container.close()
