"""Typed, immutable records that cross the ui_adapters boundary.

What flows/ hands in (:class:`ReviewRound`, :class:`MaskletForReview`), what it gets back
(:class:`ReviewProject`, :class:`ReviewBatch` of :class:`Review` and :class:`RejectedAnnotation`,
:class:`WebhookEvent`). Masks are COCO RLE (:class:`CocoRle`, column-major counts as pycocotools
writes them); Label Studio's brush RLE never leaves ui_adapters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

from ui_adapters.errors import InvalidInputError


class Verdict(StrEnum):
    """A reviewer's verdict on one masklet."""

    SATISFACTORY = "satisfactory"
    UNSATISFACTORY = "unsatisfactory"
    ILL_DEFINED = "ill_defined"


@dataclass(frozen=True)
class CocoRle:
    """One binary mask as COCO RLE: ``size`` = (height, width) in pixels, ``counts`` ASCII string."""

    height: int
    width: int
    counts: str

    def __post_init__(self) -> None:
        if self.height <= 0 or self.width <= 0 or not isinstance(self.counts, str):
            raise InvalidInputError(
                f"COCO RLE needs positive size and string counts, got {self.height}x{self.width}"
            )

    @classmethod
    def from_dict(cls, rle: Mapping[str, Any]) -> CocoRle:
        """From ``{"size": [H, W], "counts": str | bytes}`` (pycocotools' dict)."""
        try:
            h, w = (int(v) for v in rle["size"])
            counts = rle["counts"]
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputError('COCO RLE must be {"size": [H, W], "counts": str}') from exc
        if isinstance(counts, bytes):
            counts = counts.decode("ascii")
        return cls(height=h, width=w, counts=counts)

    def to_dict(self) -> dict[str, Any]:
        """``{"size": [H, W], "counts": str}`` (what pycocotools and the catalog store)."""
        return {"size": [self.height, self.width], "counts": self.counts}


def _as_rle(value: CocoRle | Mapping[str, Any]) -> CocoRle:
    return value if isinstance(value, CocoRle) else CocoRle.from_dict(value)


@dataclass(frozen=True)
class ReviewRound:
    """An annotation round: one review project per round."""

    round_id: int
    title: str
    description: str = ""


@dataclass(frozen=True)
class MaskletForReview:
    """One masklet revision to review, as flows/ hands it in.

    ``frame_indices`` (ascending video frame numbers), ``frame_urls`` (URLs the review UI can load,
    e.g. presigned), ``masks`` (COCO RLE per frame, dicts are converted) and ``scores`` (model
    confidence per frame, 0..1) are parallel tuples of equal, non-zero length.
    """

    masklet_id: int
    revision: int
    video_label: str
    frame_indices: tuple[int, ...]
    frame_urls: tuple[str, ...]
    masks: tuple[CocoRle, ...]
    scores: tuple[float, ...]
    model_version: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "frame_indices", tuple(int(i) for i in self.frame_indices))
        object.__setattr__(self, "frame_urls", tuple(str(u) for u in self.frame_urls))
        object.__setattr__(self, "masks", tuple(_as_rle(m) for m in self.masks))
        object.__setattr__(self, "scores", tuple(float(s) for s in self.scores))
        n = len(self.frame_indices)
        if n == 0 or not (len(self.frame_urls) == len(self.masks) == len(self.scores) == n):
            raise InvalidInputError(
                f"masklet {self.masklet_id}: frame_indices, frame_urls, masks and scores must have "
                f"the same non-zero length, got {n}, {len(self.frame_urls)}, {len(self.masks)}, "
                f"{len(self.scores)}"
            )
        if any(b <= a for a, b in zip(self.frame_indices, self.frame_indices[1:])):
            raise InvalidInputError(f"masklet {self.masklet_id}: frame_indices must be ascending")
        if len({(m.height, m.width) for m in self.masks}) != 1:
            raise InvalidInputError(f"masklet {self.masklet_id}: masks differ in size")
        if not all(math.isfinite(s) for s in self.scores):
            raise InvalidInputError(f"masklet {self.masklet_id}: scores must be finite numbers")

    @property
    def height(self) -> int:
        """Frame height in pixels."""
        return self.masks[0].height

    @property
    def width(self) -> int:
        """Frame width in pixels."""
        return self.masks[0].width


@dataclass(frozen=True)
class VideoForObjects:
    """One video of a round whose "add objects" task lets a reviewer draw objects nobody proposed.

    ``frame_indices`` / ``frame_urls`` as in :class:`MaskletForReview`; ``known`` maps a position
    in those tuples to the union of the masks the round already has on that frame (COCO RLE,
    shown so the reviewer sees what is covered; positions without one show nothing).
    """

    video_id: int
    video_label: str
    frame_indices: tuple[int, ...]
    frame_urls: tuple[str, ...]
    height: int
    width: int
    model_version: str
    known: Mapping[int, CocoRle] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "frame_indices", tuple(int(i) for i in self.frame_indices))
        object.__setattr__(self, "frame_urls", tuple(str(u) for u in self.frame_urls))
        object.__setattr__(self, "known", MappingProxyType({int(k): _as_rle(v) for k, v in self.known.items()}))
        n = len(self.frame_indices)
        if n == 0 or len(self.frame_urls) != n:
            raise InvalidInputError(f"video {self.video_id}: frame_indices and frame_urls must have the same "
                                    f"non-zero length, got {n} and {len(self.frame_urls)}")
        if any(b <= a for a, b in zip(self.frame_indices, self.frame_indices[1:])):
            raise InvalidInputError(f"video {self.video_id}: frame_indices must be ascending")
        if any(not 0 <= k < n for k in self.known):
            raise InvalidInputError(f"video {self.video_id}: known masks on positions outside its {n} frames")
        if any((m.height, m.width) != (self.height, self.width) for m in self.known.values()):
            raise InvalidInputError(f"video {self.video_id}: known masks differ from {self.height}x{self.width}")


@dataclass(frozen=True)
class DrawnObject:
    """An object a reviewer drew on an "add objects" task: one brush region labelled "new object".

    ``external_id`` is ``<annotation external id>:object<k>`` (k = the region's position in the
    annotation), ``frame_index`` the video frame it was drawn on, ``mask`` the region (COCO RLE).
    """

    external_id: str
    project_id: int
    task_id: int
    annotation_id: int
    annotation_updated_at: datetime
    video_id: int
    frame_index: int
    mask: CocoRle
    reviewer_id: int | None = None
    reviewer_email: str | None = None


@dataclass(frozen=True)
class S3FrameStorage:
    """An S3 bucket Label Studio reads frames from itself (frame URLs then are ``s3://bucket/key``).

    ``endpoint`` is the S3 server URL as Label Studio reaches it (``http://127.0.0.1:8333``);
    Label Studio presigns each frame on access for ``presign_ttl_min`` minutes, so reviews that
    take days never meet an expired URL. Credentials are kept out of ``repr``.
    """

    bucket: str
    endpoint: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    region: str = "us-east-1"
    prefix: str = ""
    presign_ttl_min: int = 15


@dataclass(frozen=True)
class ReviewProject:
    """Reference to one round's review project in a review UI (``ui`` e.g. ``"label-studio"``)."""

    ui: str
    project_id: int
    round_id: int
    url: str
    task_count: int = 0


@dataclass(frozen=True)
class Review:
    """One submitted review of one masklet revision.

    ``external_id`` is unique per annotation *version* (``<ui>:<project>:<annotation>:<updated>``):
    an edited annotation yields a new Review with a new external_id. ``corrections`` maps a video
    frame index to the reviewer's mask for each frame the reviewer changed (``frames_edited``, the
    same keys ascending). ``seconds`` is the time the reviewer spent (Label Studio ``lead_time``).
    ``clicks`` is None where the UI does not record it (Label Studio's brush does not).
    ``regions_changed`` counts the brush regions the reviewer drew or changed on the edited frames
    (Label Studio stores regions, not strokes; at least one per edited frame, 0 when none edited). ``frames_shown`` are the video frame
    indices the task displayed (a subsample of long masklets).
    """

    external_id: str
    project_id: int
    task_id: int
    masklet_id: int
    revision: int
    annotation_id: int
    annotation_updated_at: datetime
    verdict: Verdict
    corrections: Mapping[int, CocoRle]
    frames_edited: tuple[int, ...]
    frames_shown: tuple[int, ...]
    model_version: str
    seconds: float | None = None
    clicks: int | None = None
    reviewer_id: int | None = None
    reviewer_email: str | None = None
    regions_changed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "corrections", MappingProxyType(dict(self.corrections)))


@dataclass(frozen=True)
class RejectedAnnotation:
    """An annotation that could not become a Review, and why (nothing else of the sync is lost)."""

    external_id: str
    project_id: int
    task_id: int | None
    annotation_id: int | None
    reason: str
    annotation_updated_at: datetime | None = None


class ReviewBatch(NamedTuple):
    """Result of one sync: ``reviews, rejected = ui.fetch_reviews(...)`` unpacks it."""

    reviews: tuple[Review, ...]
    rejected: tuple[RejectedAnnotation, ...]

    @property
    def cursor(self) -> datetime | None:
        """Latest annotation update seen; pass it as ``since`` to the next fetch (or None)."""
        stamps = [r.annotation_updated_at for r in self.reviews]
        stamps += [r.annotation_updated_at for r in self.rejected if r.annotation_updated_at]
        return max(stamps) if stamps else None


class ObjectBatch(NamedTuple):
    """What the "add objects" tasks hold: the drawn objects, the rejected annotations, and how
    many of those tasks nobody has submitted yet (the round waits for them)."""

    objects: tuple[DrawnObject, ...]
    rejected: tuple[RejectedAnnotation, ...]
    pending_tasks: int


@dataclass(frozen=True)
class WebhookEvent:
    """A verified, parsed review-UI webhook about one annotation (created or updated)."""

    action: str
    project_id: int
    task_id: int
    annotation_id: int
    annotation_updated_at: str | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def dedupe_key(self) -> tuple[int, int, str]:
        """(project, annotation, updated-at): equal for a replayed delivery of the same change."""
        return (self.project_id, self.annotation_id, self.annotation_updated_at or "")
