"""The review-UI interface flows/ programs against (Label Studio is one implementation).

Contract (every implementation):

- ``open_review(round=, masklets=, max_frames=)`` creates the round's project, or reuses it when
  it already exists, and adds a task for every (masklet_id, revision) not in it yet: calling it
  twice imports nothing twice, and calling it with refined revisions adds them to the round.
- ``fetch_reviews(project=, since=, seen=)`` is stateless and idempotent: it returns every
  annotation updated at or after ``since`` (all when None) whose ``external_id`` is not in
  ``seen``, as :class:`Review` or :class:`RejectedAnnotation`, oldest first. An edited
  annotation has a new ``external_id`` (it embeds the update time), so it comes back as a new
  review and never overwrites the old one. The caller persists reviews under a UNIQUE
  ``external_id`` (catalog ``review.external_id``) and passes the batch's ``cursor`` as the next
  ``since``; re-running a sync with the same arguments returns the same batch.
- ``open_review(..., videos=)`` also adds one "add objects" task per video that has none (a
  reviewer draws the objects nobody proposed there); ``fetch_new_objects(project=, seen=)``
  returns the objects drawn on them (:class:`DrawnObject`, external ids ``...:object<k>``, not in
  ``seen``) and how many of those tasks nobody submitted yet (the round waits for them).
- ``close_review(project=)`` stops notifications for the project and marks it closed; reviews
  already submitted stay fetchable.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import Protocol, runtime_checkable

from ui_adapters.records import (
    MaskletForReview,
    ObjectBatch,
    ReviewBatch,
    ReviewProject,
    ReviewRound,
    VideoForObjects,
)


@runtime_checkable
class ReviewUI(Protocol):
    """A human review user interface for masklets."""

    name: str

    def open_review(
        self, *, round: ReviewRound, masklets: Sequence[MaskletForReview], max_frames: int,
        videos: Sequence[VideoForObjects] = (),
    ) -> ReviewProject:
        """Create (or extend) the round's review project with one task per masklet (and video)."""
        ...

    def fetch_new_objects(self, *, project: ReviewProject, seen: AbstractSet[str] = frozenset()) -> ObjectBatch:
        """Objects drawn on the "add objects" tasks, minus ``seen`` ids, and the tasks still pending."""
        ...

    def fetch_reviews(
        self,
        *,
        project: ReviewProject,
        since: datetime | None = None,
        seen: AbstractSet[str] = frozenset(),
    ) -> ReviewBatch:
        """Reviews and rejected annotations submitted since ``since``, minus ``seen`` ids."""
        ...

    def close_review(self, *, project: ReviewProject) -> None:
        """Close the round's project (no more notifications)."""
        ...
