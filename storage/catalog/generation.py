"""A round's automatic masklets (proposals), registered once per key.

Generated masklets of one (round, video, generator model, params hash) are inserted in ONE
transaction, after checking none exist under that key, so a rerun or a crashed-and-retried
generation never duplicates them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from storage.audit.trail import append_event
from storage.catalog import masklets as _masklets
from storage.catalog.catalog import Catalog
from storage.catalog.guard import check_writer
from storage.catalog.tables import AnnotationRound, AuditEvent, Masklet
from storage.errors import NotFoundError
from storage.records import MaskletOrigin, MaskletStatus


@dataclass(frozen=True)
class GeneratedMasklet:
    """A masklet blob already in the object store, to register as an automatic proposal."""

    blob_key: str
    blob_sha256: str
    frame_indices: tuple[int, ...]
    scores: tuple[float, ...]


def add_generated_masklets(catalog: Catalog, *, round_id: int, video_id: int, model_version_id: int | None,
                           params_hash: str, masklets: Sequence[GeneratedMasklet], actor: str,
                           role: str) -> tuple[list[int], bool]:
    """Register a video's proposals of a round atomically; ``(ids, created)``.

    When masklets with the same (round, video, generator model, params hash) exist already the
    stored ids are returned with ``created`` False and nothing is written.
    """
    check_writer(actor, role)
    with catalog.session(f"registering masklets of video {video_id} in round {round_id}") as s:
        round_row = s.get(AnnotationRound, int(round_id), with_for_update=True)  # serializes generators
        if round_row is None:
            raise NotFoundError(f"annotation round {round_id} not found")
        existing = _keyed(s, round_id, video_id, model_version_id, params_hash)
        if existing:
            return existing, False
        ids = [
            _masklets.add_masklet_in_session(s, video_id=video_id, origin=MaskletOrigin.AUTO, blob_key=m.blob_key, blob_sha256=m.blob_sha256,
                                  frame_indices=list(m.frame_indices), scores=list(m.scores), status=MaskletStatus.IN_REVIEW,
                                  source="model", actor=actor, role=role, round_id=int(round_id),
                                  generator_model_version_id=model_version_id, generator_params_hash=params_hash)
            for m in masklets
        ]
        append_event(s, actor=actor, role=role, action="round.generated", entity=f"annotation_round:{round_id}",
                     details={"video_id": int(video_id), "model_version_id": model_version_id,
                              "params_hash": params_hash, "masklets": ids})
        return ids, True


def keyed_masklets(catalog: Catalog, *, round_id: int, video_id: int, model_version_id: int | None,
                   params_hash: str) -> list[int]:
    """Ids of the proposals generated under this (round, video, model, params hash) key."""
    with catalog.session(f"reading masklets of video {video_id} in round {round_id}") as s:
        return _keyed(s, round_id, video_id, model_version_id, params_hash)


def _keyed(s, round_id: int, video_id: int, model_version_id: int | None, params_hash: str) -> list[int]:
    model_match = (Masklet.generator_model_version_id.is_(None) if model_version_id is None
                   else Masklet.generator_model_version_id == int(model_version_id))
    rows = s.execute(sa.select(Masklet.id).where(
        Masklet.round_id == int(round_id), Masklet.video_id == int(video_id), Masklet.origin == MaskletOrigin.AUTO,
        Masklet.generator_params_hash == params_hash, model_match).order_by(Masklet.id)).scalars().all()
    return [int(r) for r in rows]


def generated_videos(catalog: Catalog, round_id: int) -> set[int]:
    """Videos whose generation finished in this round (a ``round.generated`` event exists)."""
    with catalog.session(f"reading generation events of round {round_id}") as s:
        rows = s.execute(sa.select(AuditEvent.details).where(
            AuditEvent.action == "round.generated", AuditEvent.entity == f"annotation_round:{round_id}")).scalars()
        return {int(json.loads(d)["video_id"]) for d in rows}
