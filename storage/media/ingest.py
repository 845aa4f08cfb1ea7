"""Ingest decoding: a video file or a frame folder -> JPEG frames in the object store + NewVideo.

Only pixels leave the source: frames are decoded to arrays and re-encoded as JPEG without EXIF;
the returned :class:`~storage.records.NewVideo` holds sizes, rates, codec name and the content
hash -- never container/stream metadata (creation_time, GPS, device, encoder, title, comments)
and never the source path. Frames go to ``frame_key(sha, k)``, write-once, so a retried or
interrupted ingest is harmless: the same frames are the same bytes. The catalog row is
registered by the caller *after* this returns (see storage/importers/video_importer.py).

JPEG encoding and object writes run on a small thread pool (Pillow and the S3 client release the
GIL) while the main thread decodes; at most ``2 * workers`` frames are in flight.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import numpy as np

from storage.errors import InvalidInputError, NotFoundError
from storage.media.frame_decoder import iter_sampled_frames
from storage.media.frame_folder import check_same_size, list_frame_files, read_frame
from storage.media.hashing import sha256_file, sha256_files
from storage.media.jpeg import encode_jpeg
from storage.media.sampling import (
    as_fraction,
    effective_fps,
    sampled_source_indices,
    sampling_stride,
)
from storage.media.video_probe import probe_video
from storage.objects.object_store import ObjectStore
from storage.records import NewVideo, frame_key

Progress = Callable[[int, int], None]  # (frames stored so far, frames to store)
JPEG_QUALITY = 95


def store_frames(
    frames: Iterable[tuple[int, np.ndarray]],
    *,
    video_sha256: str,
    total: int,
    store: ObjectStore,
    progress: Progress | None = None,
    workers: int = 2,
) -> int:
    """Encode ``(k, HxWx3 uint8)`` frames as JPEG and write them to ``frame_key(sha, k)``.

    Returns the number of frames handled (written or already there with the same bytes).
    """

    def put(k: int, image: np.ndarray) -> None:
        store.put_bytes(frame_key(video_sha256, k), encode_jpeg(image, JPEG_QUALITY), content_type="image/jpeg")

    done = 0
    pending: deque[Future[None]] = deque()

    def finish_oldest() -> None:  # re-raises a failed write here, in the caller's thread
        nonlocal done
        pending.popleft().result()
        done += 1
        if progress:
            progress(done, total)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest") as pool:
        try:
            for k, image in frames:
                pending.append(pool.submit(put, k, image))
                while len(pending) >= 2 * workers or (pending and pending[0].done()):
                    finish_oldest()
            while pending:
                finish_oldest()
        finally:
            for future in pending:
                future.cancel()
    return done


def ingest_video(
    path: Path, *, dataset: str, fps: float | Fraction, store: ObjectStore, progress: Progress | None = None,
    sha256: str | None = None,
) -> NewVideo:
    """Decode ``path``, keep frames at ``fps`` frames/s, store them as JPEG; return the NewVideo.

    ``NewVideo.sha256`` is the sha256 of the file's bytes. Raises InvalidInputError ("not a
    readable video: <name> (...)") for corrupt, truncated, empty, zero-frame and non-video files.
    ``sha256``: the file's hash when the caller already computed it (saves reading it twice).
    """
    path = Path(path)
    probe = probe_video(path)
    sha = sha256 or sha256_file(path)
    kept = sampled_source_indices(probe.n_frames, probe.rate, fps)
    frames = ((f.index, f.image) for f in iter_sampled_frames(path, fps=fps, probe=probe))
    stored = store_frames(frames, video_sha256=sha, total=len(kept), store=store, progress=progress)
    if stored != len(kept):
        raise InvalidInputError(f"not a readable video: {path.name} (only {stored} of {len(kept)} frames decode)")
    return NewVideo(
        dataset=dataset,
        sha256=sha,
        n_frames=stored,
        width=probe.width,
        height=probe.height,
        fps=float(effective_fps(probe.rate, fps)),
        source_fps=probe.fps,
        sampling_stride=float(sampling_stride(probe.rate, fps)),
        codec=probe.codec,
        source_frame_indices=tuple(kept),
    )


def ingest_frame_folder(
    folder: Path,
    *,
    dataset: str,
    fps: float,
    store: ObjectStore,
    source_fps: float | None = None,
    progress: Progress | None = None,
) -> NewVideo:
    """Store the frames of a folder (see :mod:`storage.media.frame_folder`) as a video.

    ``source_fps``: the rate the frames were shot at; None means the folder already holds the
    frames to keep, so every frame is stored and recorded at ``fps``. ``NewVideo.sha256`` is the
    sha256 over the frame files' bytes in order.
    """
    folder = Path(folder)
    files = list_frame_files(folder)
    width, height = check_same_size(files, what=f"frame folder {folder.name}")
    rate = as_fraction(source_fps if source_fps is not None else fps)
    kept = sampled_source_indices(len(files), rate, fps)
    sha = sha256_files(files)
    frames = ((k, read_frame(files[i])) for k, i in enumerate(kept))
    stored = store_frames(frames, video_sha256=sha, total=len(kept), store=store, progress=progress)
    suffix = files[0].suffix.lower().lstrip(".")
    return NewVideo(
        dataset=dataset,
        sha256=sha,
        n_frames=stored,
        width=width,
        height=height,
        fps=float(effective_fps(rate, fps)),
        source_fps=float(rate),
        sampling_stride=float(sampling_stride(rate, fps)),
        codec=f"{'jpeg' if suffix in ('jpg', 'jpeg') else suffix}-folder",
        source_frame_indices=tuple(kept),
    )


def content_sha256(path: Path) -> str:
    """The catalog identity of ``path`` without decoding it: file bytes, or frame files in order."""
    path = Path(path)
    if not path.exists():
        raise NotFoundError(f"no such file or folder: {path}")
    if path.is_dir():
        return sha256_files(list_frame_files(path))
    if not path.is_file():
        raise InvalidInputError(f"not a regular file: {path}")
    return sha256_file(path)
