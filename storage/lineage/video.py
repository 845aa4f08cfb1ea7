"""Impact of one video: everything derived from it (what a deletion request must reach)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from storage.errors import NotFoundError
from storage.lineage.common import frame, member_versions, row, runs_and_models

_VIDEO_SQL = sa.text(
    "SELECT v.id, v.sha256, v.frames_prefix, v.n_frames, v.created_at, v.created_by, d.name AS dataset, s.split "
    "FROM video v JOIN dataset d ON d.id = v.dataset_id LEFT JOIN video_split s ON s.video_id = v.id "
    "WHERE v.id = :id"
)
_MASKLETS_SQL = sa.text(
    "SELECT m.id, m.origin, m.status, m.current_revision, m.created_at, m.created_by, r.id AS rid, r.rev, "
    "r.blob_key, r.blob_sha256, r.created_at AS r_at, r.created_by AS r_by "
    "FROM masklet m JOIN masklet_revision r ON r.masklet_id = m.id WHERE m.video_id = :id ORDER BY m.id, r.rev"
)
_REVIEWS_SQL = sa.text(
    "SELECT r.id, r.masklet_id, r.revision, r.verdict, r.reviewer, r.external_id, r.created_at "
    "FROM review r JOIN masklet m ON m.id = r.masklet_id WHERE m.video_id = :id ORDER BY r.id"
)


def video_lineage(session: Session, video_id: int) -> pd.DataFrame:
    """Rows: video, frames (object-key prefix), masklet*, revision* (blob keys), review*,
    dataset_version* (every version from the first that took one of its masklets: their delta
    manifests chain, so all of them pin its data), training_run*, model* (recursive fine-tunes)."""
    video = session.execute(_VIDEO_SQL, {"id": int(video_id)}).first()
    if video is None:
        raise NotFoundError(f"video {video_id} not found")
    out = [row("video", f"video:{video.id}", f"{video.dataset}/{video.sha256[:12]}", video.created_at,
               video.created_by, dataset=video.dataset, sha256=video.sha256, n_frames=video.n_frames,
               split=video.split),
           row("frames", f"video:{video.id}", video.frames_prefix, video.created_at, video.created_by,
               n_frames=video.n_frames, object_prefix=video.frames_prefix)]
    masklets, revisions = [], []
    for r in session.execute(_MASKLETS_SQL, {"id": video.id}).all():
        if r.rev == 1:
            masklets.append(row("masklet", f"masklet:{r.id}", f"masklet {r.id}", r.created_at, r.created_by,
                                origin=r.origin, status=r.status, current_revision=r.current_revision))
        revisions.append(row("revision", f"masklet_revision:{r.rid}", f"masklet {r.id} rev {r.rev}", r.r_at,
                             r.r_by, blob_key=r.blob_key, blob_sha256=r.blob_sha256))
    out += masklets + revisions
    for rv in session.execute(_REVIEWS_SQL, {"id": video.id}).all():
        out.append(row("review", f"review:{rv.id}", f"masklet {rv.masklet_id}: {rv.verdict}", rv.created_at,
                       rv.reviewer, masklet_id=rv.masklet_id, revision=rv.revision, verdict=rv.verdict,
                       external_id=rv.external_id))
    version_ids = []
    for version_id, name, number, at, actor, members in member_versions(session, video_id=video.id):
        version_ids.append(version_id)
        out.append(row("dataset_version", f"dataset_version:{version_id}", f"{name}@{number}", at, actor,
                       member_masklets=len(members)))
    out.extend(runs_and_models(session, version_ids))
    return frame(out)
