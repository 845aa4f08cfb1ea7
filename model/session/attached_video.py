"""What both video sessions share once a video is attached: its size and the objects' ids."""

from __future__ import annotations

from typing import Self

from model.errors import InvalidInputError
from model.session.frames import FrameSource
from model.session.objects import ObjectRegistry


class AttachedVideo:
    """Mixin of :class:`~model.session.session.VideoSession` and
    :class:`~model.session.lite_session.LiteSession`: ``init`` sets ``frames`` and ``objects``."""

    frames: FrameSource | None
    objects: ObjectRegistry

    @property
    def obj_ids(self) -> tuple[int, ...]:
        """Client object ids in the order they got their first prompt."""
        return tuple(self._need().objects.ids)

    @property
    def height(self) -> int:
        """Video frame height in pixels."""
        return self._need().frames.height  # type: ignore[union-attr]

    @property
    def width(self) -> int:
        """Video frame width in pixels."""
        return self._need().frames.width  # type: ignore[union-attr]

    def predicted_iou(self, frame_idx: int, obj_id: int) -> float | None:
        """The decoder's own estimate (0..1) of the IoU of ``obj_id``'s mask on ``frame_idx``,
        from the last prompt or propagation that produced it; None where the network gives none
        (SAM 2's video predictor keeps it internal) or the frame was not segmented."""
        return None

    def _need(self) -> Self:
        if self.frames is None:
            raise InvalidInputError("the session has no video; call init(frames) first")
        return self
