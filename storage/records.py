"""Typed immutable records the storage layer exchanges with flows/ (never raw dicts).

Object-key conventions (write-once; a retried write of the same bytes is a no-op):
- sampled frames of a video: ``videos/{video_sha256}/frames/{k:06d}.jpg`` (k = catalog frame index,
  0-based, after sampling);
- any content-addressed blob (masklet revision, manifest): ``sha256/{hex[:2]}/{hex}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

Split = Literal["train", "val", "test"]


class MaskletOrigin(StrEnum):
    """Where a masklet came from: the model's automatic masklets, a person's (propagated) drawing,
    or a dataset's ground truth."""

    AUTO = "auto"
    MANUAL = "manual"
    GROUND_TRUTH = "ground_truth"


class MaskletStatus(StrEnum):
    """A masklet's place in review: proposed -> in_review -> accepted | rejected | needs_fix
    (refinement brings a needs_fix masklet back in_review as a new revision)."""

    PROPOSED = "proposed"
    IN_REVIEW = "in_review"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    NEEDS_FIX = "needs_fix"


class Verdict(StrEnum):
    """A reviewer's verdict on a whole masklet, as SAM 2's annotators gave it."""

    SATISFACTORY = "satisfactory"  # tracks the object correctly and consistently in every frame
    UNSATISFACTORY = "unsatisfactory"  # a well-defined object, a wrong masklet: corrected, refined
    ILL_DEFINED = "ill_defined"  # not an object worth a masklet: rejected


class RoundStatus(StrEnum):
    """An annotation round: created -> generating -> in_review <-> refining -> closed."""

    CREATED = "created"
    GENERATING = "generating"
    IN_REVIEW = "in_review"
    REFINING = "refining"
    CLOSED = "closed"


#: The masklet status a verdict leads to (an unsatisfactory masklet waits for its refinement).
STATUS_OF_VERDICT = {Verdict.SATISFACTORY: MaskletStatus.ACCEPTED, Verdict.ILL_DEFINED: MaskletStatus.REJECTED,
                     Verdict.UNSATISFACTORY: MaskletStatus.NEEDS_FIX}


def frame_key(video_sha256: str, frame_index: int) -> str:
    """Object key of sampled frame ``frame_index`` of a video."""
    return f"videos/{video_sha256}/frames/{frame_index:06d}.jpg"


def blob_key(sha256_hex: str) -> str:
    """Content-addressed object key of a blob with this sha256 (hex)."""
    return f"sha256/{sha256_hex[:2]}/{sha256_hex}"


@dataclass(frozen=True)
class NewVideo:
    """A decoded, de-identified video ready to be registered in the catalog.

    Holds no container metadata and no source path, by construction.
    """

    dataset: str
    sha256: str  # of the source file's bytes (or of the frame files, for a folder)
    n_frames: int  # sampled frames stored
    width: int  # px
    height: int  # px
    fps: float  # sampled frames per second
    source_fps: float  # frames per second of the source
    sampling_stride: float  # source frames per stored frame
    codec: str  # e.g. "h264", "jpeg-folder"
    source_frame_indices: tuple[int, ...] = ()  # source frame number of each stored frame


@dataclass(frozen=True)
class VideoRef:
    """A registered video."""

    id: int
    dataset: str
    sha256: str
    n_frames: int
    width: int
    height: int
    fps: float

    def frame_key(self, frame_index: int) -> str:
        return frame_key(self.sha256, frame_index)


@dataclass(frozen=True)
class MaskletBlob:
    """Content of one masklet revision: per-frame COCO RLE + per-frame scores.

    ``rles[i]`` is the COCO RLE (``{"size": [H, W], "counts": str}``) of frame ``frame_indices[i]``;
    ``scores[i]`` is the model's object score there in [0, 1] (1.0 for human masks).
    """

    video_sha256: str
    frame_indices: tuple[int, ...]
    rles: tuple[dict, ...]
    scores: tuple[float, ...] = field(default=())


@dataclass(frozen=True)
class DatasetVersionRef:
    """An immutable dataset version ``NAME@N`` and its manifest."""

    dataset: str
    number: int
    manifest_key: str
    manifest_sha256: str

    @property
    def name(self) -> str:
        return f"{self.dataset}@{self.number}"


@dataclass(frozen=True)
class ModelRef:
    """A registered model version."""

    name: str
    version: int
    backend: str  # e.g. "sam2"
    uri: str  # where the weights are (object key, mlflow URI, file path, builtin:...)
    sha256: str | None = None


@dataclass(frozen=True)
class AuditCheck:
    """Result of verifying the audit hash chain.

    ``first_broken_id`` is the id of the first event whose hash or link does not verify (None when
    ``ok``); ``problem`` says what is wrong there. ``head_hash`` is the hash of the last event
    (compare it with an exported copy to detect deletion of the newest events).
    """

    ok: bool
    n_events: int
    head_hash: str
    first_broken_id: int | None = None
    problem: str | None = None
