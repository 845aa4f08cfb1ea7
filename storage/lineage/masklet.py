"""Provenance of one masklet: video, generator, round, revisions, reviews, versions, runs, models."""

from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from storage.catalog.tables import (
    AnnotationRound,
    Dataset,
    Masklet,
    MaskletRevision,
    ModelVersion,
    Review,
    Video,
)
from storage.errors import NotFoundError
from storage.lineage.common import frame, member_versions, row, runs_and_models


def masklet_lineage(session: Session, masklet_id: int) -> pd.DataFrame:
    """Rows (see ``LINEAGE_COLUMNS``): masklet, video, generator_model, round, revision*, review*,
    dataset_version* (those holding it, with the revision), training_run*, model*."""
    m = session.get(Masklet, int(masklet_id))
    if m is None:
        raise NotFoundError(f"masklet {masklet_id} not found")
    video = session.get(Video, m.video_id)
    dataset = session.get(Dataset, video.dataset_id)
    out = [row("masklet", f"masklet:{m.id}", f"masklet {m.id}", m.created_at, m.created_by, origin=m.origin,
               status=m.status, current_revision=m.current_revision, generator_params_hash=m.generator_params_hash),
           row("video", f"video:{video.id}", f"{dataset.name}/{video.sha256[:12]}", video.created_at,
               video.created_by, dataset=dataset.name, sha256=video.sha256, frames_prefix=video.frames_prefix)]
    if m.generator_model_version_id is not None:
        g = session.get(ModelVersion, m.generator_model_version_id)
        out.append(row("generator_model", f"model_version:{g.id}", f"{g.name}@{g.version}", g.created_at,
                       g.created_by, backend=g.backend, uri=g.uri, params_hash=m.generator_params_hash))
    if m.round_id is not None:
        r = session.get(AnnotationRound, m.round_id)
        out.append(row("round", f"annotation_round:{r.id}", f"round {r.id}", r.created_at, r.created_by,
                       status=r.status, budget=r.budget, label_studio_project_id=r.label_studio_project_id))
    for rev in session.execute(sa.select(MaskletRevision).where(MaskletRevision.masklet_id == m.id)
                               .order_by(MaskletRevision.rev)).scalars():
        out.append(row("revision", f"masklet_revision:{rev.id}", f"rev {rev.rev}", rev.created_at, rev.created_by,
                       revision=rev.rev, source=rev.source, blob_key=rev.blob_key, blob_sha256=rev.blob_sha256,
                       frame_start=rev.frame_start, frame_end=rev.frame_end,
                       n_frames=len(json.loads(rev.frame_indices))))
    for rv in session.execute(sa.select(Review).where(Review.masklet_id == m.id).order_by(Review.id)).scalars():
        out.append(row("review", f"review:{rv.id}", rv.verdict, rv.created_at, rv.reviewer, revision=rv.revision,
                       verdict=rv.verdict, corrected_revision=rv.corrected_revision, frames_edited=rv.frames_edited,
                       clicks=rv.clicks, seconds=rv.seconds, external_id=rv.external_id))
    holding = []
    for version_id, name, number, at, actor, members in member_versions(session, masklet_id=int(m.id)):
        if int(m.id) in members:
            holding.append(version_id)
            out.append(row("dataset_version", f"dataset_version:{version_id}", f"{name}@{number}", at, actor,
                           revision=members[int(m.id)]))
    out.extend(runs_and_models(session, holding))
    return frame(out)
