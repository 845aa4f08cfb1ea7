"""Refinement: a re-propagated revision of a ``needs_fix`` masklet, back in review (once per revision)."""

from __future__ import annotations

from storage.catalog import masklets as _masklets
from storage.catalog.catalog import Catalog
from storage.catalog.generation import GeneratedMasklet
from storage.catalog.guard import check_writer
from storage.records import MaskletStatus


def add_refinement(catalog: Catalog, masklet_id: int, *, revised: GeneratedMasklet, expect_revision: int,
                   actor: str, role: str) -> int | None:
    """New revision (source ``refinement``) + status ``in_review`` in one transaction; returns the
    revision number, or None when the masklet is no longer at ``expect_revision`` / ``needs_fix``
    (another run refined it already)."""
    check_writer(actor, role)
    with catalog.session(f"refining masklet {masklet_id}") as s:
        row = _masklets._masklet(s, masklet_id, lock=True)
        if row.status != MaskletStatus.NEEDS_FIX or row.current_revision != int(expect_revision):
            return None
        rev = _masklets.add_revision_in_session(s, masklet_id, blob_key=revised.blob_key, blob_sha256=revised.blob_sha256,
                                     frame_indices=list(revised.frame_indices), scores=list(revised.scores),
                                     source="refinement", actor=actor, role=role)
        _masklets.set_status(s, masklet_id, MaskletStatus.IN_REVIEW, actor=actor, role=role)
        return rev
