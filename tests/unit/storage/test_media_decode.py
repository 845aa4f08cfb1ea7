"""Frame-exact decoding: stored frame k is source frame ``source_index`` of the file, in every
container; bad files get one clear InvalidInputError ("not a readable video: <name> ...")."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from helpers.videos import frame_number, write_numbered_video
from PIL import Image

from storage.errors import InvalidInputError, NotFoundError
from storage.media.frame_decoder import iter_sampled_frames
from storage.media.sampling import sampled_source_indices
from storage.media.video_probe import probe_video


@pytest.mark.parametrize(("name", "codec"), [("c.mp4", "libx264"), ("c.mkv", "libx264"), ("c.mov", "libx264"),
                                             ("c.avi", "mpeg4")])
def test_every_kept_frame_is_the_source_frame_it_claims(tmp_path: Path, name: str, codec: str) -> None:
    path = write_numbered_video(tmp_path / name, n_frames=60, fps=25, codec=codec)
    probe = probe_video(path)
    assert (probe.n_frames, probe.width, probe.height, probe.fps) == (60, 160, 96, 25.0)
    frames = list(iter_sampled_frames(path, fps=6))
    assert [f.source_index for f in frames] == sampled_source_indices(60, 25, 6)
    assert [f.index for f in frames] == list(range(len(frames)))
    for f in frames:
        assert f.image.shape == (96, 160, 3) and f.image.dtype == np.uint8
        assert frame_number(f.image) == f.source_index


def test_all_frames_kept_when_target_exceeds_source(tmp_path: Path) -> None:
    path = write_numbered_video(tmp_path / "all.mp4", n_frames=20, fps=10)
    assert [frame_number(f.image) for f in iter_sampled_frames(path, fps=30)] == list(range(20))


def _truncated(tmp_path: Path) -> Path:
    src = tmp_path / "full.mp4"
    with av.open(str(src), "w", options={"movflags": "faststart"}) as c:  # index first, then data
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        rng = np.random.default_rng(0)
        for _ in range(40):
            frame = av.VideoFrame.from_ndarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8), format="rgb24")
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    data = src.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 2 // 3])
    return cut


def _audio(container: av.container.OutputContainer) -> None:
    s = container.add_stream("pcm_s16le", rate=8000)
    frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), dtype=np.int16), format="s16", layout="mono")
    frame.sample_rate = 8000
    for p in s.encode(frame):
        container.mux(p)
    for p in s.encode():
        container.mux(p)


def _zero_frames(tmp_path: Path) -> Path:
    """A video stream without a single frame (next to an audio stream, so the file is written)."""
    path = tmp_path / "zero.mkv"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        _audio(c)
    return path


def _audio_only(tmp_path: Path) -> Path:
    path = tmp_path / "sound.mkv"
    with av.open(str(path), "w") as c:
        _audio(c)
    return path


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _image(path: Path) -> Path:
    Image.new("RGB", (8, 8)).save(path)
    return path


BAD_FILES = {
    "empty": lambda d: _written(d / "empty.mp4", b""),
    "garbage": lambda d: _written(d / "junk.mp4", bytes(range(256)) * 40),
    "text": lambda d: _written(d / "notes.avi", b"not a video\n" * 50),
    "still image": lambda d: _image(d / "photo.png"),
    "truncated": _truncated,
    "zero frames": _zero_frames,
    "audio only": _audio_only,
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_files_are_one_clear_invalid_input_error(tmp_path: Path, kind: str) -> None:
    path = BAD_FILES[kind](tmp_path)
    with pytest.raises(InvalidInputError, match=rf"^not a readable video: {path.name} \("):
        probe = probe_video(path)
        list(iter_sampled_frames(path, fps=6, probe=probe))


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        probe_video(tmp_path / "nope.mp4")
