"""Frame source of a session: validates frames and serves preprocessed images by index.

A sequence (list, array, anything with ``len`` and indexing) is read lazily by index, so any frame
can be revisited. An iterator is streamed: frames are pulled in order as they are asked for and
only the last ``window`` preprocessed frames stay resident.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from model.errors import InvalidInputError, NotFoundError

IMG_MEAN = (0.485, 0.456, 0.406)
IMG_STD = (0.229, 0.224, 0.225)


def preprocess(frame: np.ndarray, image_size: int) -> torch.Tensor:
    """uint8 [H, W, 3] -> float32 [1, 3, S, S], resized (bilinear, antialiased) and ImageNet-normalised."""
    arr = frame if frame.flags.writeable and frame.flags.c_contiguous else np.array(frame)
    x = torch.from_numpy(arr).permute(2, 0, 1)[None].float() / 255.0
    if x.shape[-2:] != (image_size, image_size):
        x = F.interpolate(x, size=(image_size, image_size), mode="bilinear", align_corners=False, antialias=True)
    mean = torch.tensor(IMG_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMG_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def check_frame(frame: object, idx: int, size: tuple[int, int] | None) -> np.ndarray:
    """Validate one frame: a uint8 numpy array [H, W, 3] of the video's size."""
    if not isinstance(frame, np.ndarray):
        raise InvalidInputError(f"frame {idx} is a {type(frame).__name__}; pass numpy uint8 arrays [H,W,3]")
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
        raise InvalidInputError(
            f"frame {idx} is {frame.dtype} {frame.shape}; frames must be uint8 [H,W,3] RGB "
            "(convert with np.asarray(img.convert('RGB')))"
        )
    if size is not None and frame.shape[:2] != size:
        raise InvalidInputError(
            f"frame {idx} is {frame.shape[0]}x{frame.shape[1]} but the video is {size[0]}x{size[1]}; "
            "resize every frame to one size"
        )
    return frame


class FrameSource:
    """Serves ``image(idx)`` -> float32 [1, 3, S, S] for a sequence or a streamed iterator.

    height, width: the video's size (from frame 0); num_frames: length, or None while streaming
    an iterator whose end has not been reached.
    """

    def __init__(self, frames: Iterable[np.ndarray], *, image_size: int, window: int,
                 transform: Callable[[np.ndarray], torch.Tensor] | None = None) -> None:
        """transform: frame uint8 [H, W, 3] -> model input [1, 3, ...] (default: SAM 2's
        square resize to ``image_size`` and ImageNet normalisation, :func:`preprocess`)."""
        self.image_size = image_size
        self._transform = transform or (lambda frame: preprocess(frame, image_size))
        self.window = max(2, window)
        self._seq: Sequence[np.ndarray] | None = None
        self._iter: Iterator[np.ndarray] | None = None
        self._buffer: OrderedDict[int, torch.Tensor] = OrderedDict()
        self._pulled = 0  # frames pulled from the iterator so far
        self._ended = False
        if isinstance(frames, (np.ndarray, Sequence)):
            if len(frames) == 0:
                raise InvalidInputError("the video has no frames; pass at least one frame")
            self._seq = frames
            first = check_frame(frames[0], 0, None)
        elif isinstance(frames, Iterable):
            self._iter = iter(frames)
            try:
                first = check_frame(next(self._iter), 0, None)
            except StopIteration:
                raise InvalidInputError("the video has no frames; pass at least one frame") from None
            self._buffer[0] = self._transform(first)
            self._pulled = 1
        else:
            raise InvalidInputError("frames must be a sequence or an iterator of uint8 [H,W,3] arrays")
        self.height, self.width = int(first.shape[0]), int(first.shape[1])

    @property
    def streaming(self) -> bool:
        return self._iter is not None

    @property
    def num_frames(self) -> int | None:
        if self._seq is not None:
            return len(self._seq)
        return self._pulled if self._ended else None

    def has(self, idx: int) -> bool:
        """Whether frame ``idx`` exists (pulls the iterator forward up to it if needed)."""
        if idx < 0:
            return False
        if self._seq is not None:
            return idx < len(self._seq)
        self._pull_to(idx)
        return idx < self._pulled

    def image(self, idx: int) -> torch.Tensor:
        """Preprocessed frame ``idx``: float32 [1, 3, S, S]."""
        if self._seq is not None:
            if not 0 <= idx < len(self._seq):
                raise NotFoundError(f"frame {idx} does not exist; the video has {len(self._seq)} frames")
            return self._transform(check_frame(self._seq[idx], idx, (self.height, self.width)))
        self._pull_to(idx)
        if idx in self._buffer:
            return self._buffer[idx]
        if idx >= self._pulled:
            raise NotFoundError(f"frame {idx} does not exist; the stream ended after {self._pulled} frames")
        raise NotFoundError(
            f"frame {idx} was streamed past and is no longer resident (window {self.window}); pass "
            "the frames as a sequence to revisit old frames"
        )

    def _pull_to(self, idx: int) -> None:
        while not self._ended and self._pulled <= idx:
            try:
                raw = next(self._iter)  # type: ignore[arg-type]
            except StopIteration:
                self._ended = True
                break
            frame = check_frame(raw, self._pulled, (self.height, self.width))
            self._buffer[self._pulled] = self._transform(frame)
            self._pulled += 1
            while len(self._buffer) > self.window and next(iter(self._buffer)) < idx - self.window:
                self._buffer.popitem(last=False)

    def release_before(self, idx: int) -> None:
        """Drop streamed frames older than ``idx`` (the caller will not ask for them again)."""
        for k in [k for k in self._buffer if k < idx]:
            del self._buffer[k]
