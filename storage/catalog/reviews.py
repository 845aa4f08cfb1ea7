"""Reviews of a round's masklets: one review row (:func:`add_review`), one verdict recorded atomically
with its correction and status (:func:`apply_review`; both idempotent by the external id) and the
round's reviews as a table (effort per round)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session

from storage.audit.trail import append_event
from storage.catalog import masklets as _masklets
from storage.catalog.catalog import Catalog
from storage.catalog.generation import GeneratedMasklet
from storage.catalog.guard import check_writer
from storage.catalog.tables import VERDICTS, Masklet, Review
from storage.errors import InvalidInputError
from storage.records import MaskletStatus, Verdict

if TYPE_CHECKING:
    import pandas as pd


def add_review_in_session(session: Session, *, masklet_id: int, revision: int, reviewer: str, verdict: str,
                          corrected_revision: int | None, frames_edited: int, clicks: int, seconds: float,
                          external_id: str | None, actor: str, role: str, regions_changed: int = 0) -> int:
    """Insert a review; with an ``external_id`` seen before, return the stored review (idempotent sync)."""
    _masklets.check_choice(verdict, VERDICTS, "verdict")
    if min(frames_edited, clicks, regions_changed) < 0 or seconds < 0:
        raise InvalidInputError("frames_edited, clicks, regions_changed and seconds must not be negative")
    if external_id is not None:
        found = session.execute(sa.select(Review.id).where(Review.external_id == external_id)).scalar_one_or_none()
        if found is not None:
            return int(found)
    masklet = _masklets._masklet(session, masklet_id)
    if not 1 <= int(revision) <= masklet.current_revision:
        raise InvalidInputError(f"masklet {masklet_id} has no revision {revision}")
    row = Review(masklet_id=int(masklet_id), revision=int(revision), reviewer=reviewer, verdict=verdict,
                 corrected_revision=corrected_revision, frames_edited=frames_edited, clicks=clicks,
                 seconds=float(seconds), external_id=external_id, regions_changed=int(regions_changed))
    session.add(row)
    session.flush()
    append_event(session, actor=actor, role=role, action="review.add", entity=f"review:{row.id}",
                 details={"masklet_id": int(masklet_id), "revision": int(revision), "reviewer": reviewer,
                          "verdict": verdict, "corrected_revision": corrected_revision,
                          "frames_edited": frames_edited, "clicks": clicks, "seconds": float(seconds),
                          "external_id": external_id}
                 | ({"regions_changed": int(regions_changed)} if regions_changed else {}))
    return int(row.id)


def add_review(catalog: Catalog, *, masklet_id: int, revision: int, reviewer: str, verdict: str, actor: str,
               role: str, corrected_revision: int | None = None, frames_edited: int = 0, clicks: int = 0,
               seconds: float = 0.0, external_id: str | None = None, regions_changed: int = 0) -> int:
    """Record a review; a repeated ``external_id`` returns the stored review's id (idempotent)."""
    return catalog.write(f"recording a review of masklet {masklet_id}", actor, role, lambda s: add_review_in_session(
        s, masklet_id=masklet_id, revision=revision, reviewer=reviewer, verdict=verdict,
        corrected_revision=corrected_revision, frames_edited=frames_edited, clicks=clicks, seconds=seconds,
        external_id=external_id, actor=actor, role=role, regions_changed=regions_changed), retries=3)


def apply_review(catalog: Catalog, *, masklet_id: int, revision: int, reviewer: str, verdict: Verdict | str,
                 new_status: MaskletStatus | str,
                 external_id: str, actor: str, role: str, correction: GeneratedMasklet | None = None,
                 frames_edited: int = 0, clicks: int = 0, seconds: float = 0.0,
                 regions_changed: int = 0) -> tuple[int, bool]:
    """Record one review atomically: the corrected revision (source ``reviewer``) if any, the
    review row and the masklet's new status; ``(review id, created)``.

    Idempotent by ``external_id``: a review already stored returns ``(its id, False)`` and nothing
    else is written, so a repeated sync never adds a second corrected revision.
    """
    check_writer(actor, role)
    with catalog.session(f"recording a review of masklet {masklet_id}") as s:
        found = s.execute(sa.select(Review.id).where(Review.external_id == external_id)).scalar_one_or_none()
        if found is not None:
            return int(found), False
        corrected = None
        if correction is not None:
            corrected = _masklets.add_revision_in_session(
                s, masklet_id, blob_key=correction.blob_key, blob_sha256=correction.blob_sha256,
                frame_indices=list(correction.frame_indices), scores=list(correction.scores), source="reviewer",
                actor=actor, role=role)
        review_id = add_review_in_session(
            s, masklet_id=masklet_id, revision=revision, reviewer=reviewer, verdict=verdict,
            corrected_revision=corrected, frames_edited=frames_edited, clicks=clicks, seconds=seconds,
            external_id=external_id, actor=actor, role=role, regions_changed=regions_changed)
        _masklets.set_status(s, masklet_id, new_status, actor=actor, role=role)
        return review_id, True


def review_external_ids(catalog: Catalog, round_id: int) -> set[str]:
    """External ids of every stored review of the round's masklets (what a sync has seen)."""
    return {str(e) for e in round_reviews(catalog, round_id)["external_id"] if e is not None}


REVIEW_COLUMNS = ["review_id", "masklet_id", "origin", "revision", "reviewer", "verdict", "corrected_revision",
                  "frames_edited", "clicks", "seconds", "external_id", "created_at", "regions_changed"]


def round_reviews(catalog: Catalog, round_id: int) -> pd.DataFrame:
    """Every review of the round's masklets (effort per round); columns :data:`REVIEW_COLUMNS`."""
    import pandas as pd  # imported on use: the catalog's writers (flow runs) never need it

    with catalog.session(f"reading reviews of round {round_id}") as s:
        rows = s.execute(
            sa.select(Review.id, Review.masklet_id, Masklet.origin, Review.revision, Review.reviewer, Review.verdict,
                      Review.corrected_revision, Review.frames_edited, Review.clicks, Review.seconds,
                      Review.external_id, Review.created_at, Review.regions_changed)
            .join(Masklet, Masklet.id == Review.masklet_id)
            .where(Masklet.round_id == int(round_id)).order_by(Review.id)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=REVIEW_COLUMNS)
