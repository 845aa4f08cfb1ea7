"""What a dataset version is made of and what was trained on it."""

from __future__ import annotations

import json

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from storage.catalog.refs import version_row
from storage.lineage.common import frame, row, runs_and_models
from storage.versions.members import version_members_in_session

# Latest review verdict of each masklet (for the members' revision or any earlier one).
_VERDICTS_SQL = sa.text(
    """
    SELECT masklet_id, verdict, reviewer, seconds, clicks FROM (
        SELECT r.masklet_id, r.verdict, r.reviewer, r.seconds, r.clicks,
               ROW_NUMBER() OVER (PARTITION BY r.masklet_id ORDER BY r.id DESC) AS rn
        FROM review r JOIN masklet m ON m.id = r.masklet_id JOIN video v ON v.id = m.video_id
        WHERE v.dataset_id = :dataset_id
    ) latest WHERE rn = 1
    """
)
_REVIEWERS_SQL = sa.text(
    """
    SELECT r.reviewer, COUNT(*) AS reviews, SUM(r.seconds) AS seconds, SUM(r.clicks) AS clicks,
           SUM(r.frames_edited) AS frames_edited
    FROM review r JOIN masklet m ON m.id = r.masklet_id JOIN video v ON v.id = m.video_id
    WHERE v.dataset_id = :dataset_id AND r.masklet_id IN :ids
    GROUP BY r.reviewer ORDER BY r.reviewer
    """
).bindparams(sa.bindparam("ids", expanding=True))


def dataset_lineage(session: Session, ref: str) -> pd.DataFrame:
    """Rows: dataset_version, video* (split, masklets), composition* (origin x latest verdict),
    reviewer* (reviews of its members, effort), training_run*, model* trained on it."""
    version, name = version_row(session, ref)
    members = version_members_in_session(session, ref)
    out = [row("dataset_version", f"dataset_version:{version.id}", f"{name}@{version.number}", version.created_at,
               version.created_by, n_members=version.n_members, manifest_key=version.manifest_key,
               manifest_sha256=version.manifest_sha256, composition=json.loads(version.composition),
               message=version.message)]
    if not members.empty:
        per_video = members.groupby(["video_id", "video_sha256", "split"]).size().reset_index(name="masklets")
        for v in per_video.itertuples(index=False):
            out.append(row("video", f"video:{v.video_id}", f"{name}/{v.video_sha256[:12]}", split=v.split,
                           masklets=int(v.masklets), sha256=v.video_sha256))
        verdicts = pd.DataFrame(session.execute(_VERDICTS_SQL, {"dataset_id": version.dataset_id}).all(),
                                columns=["masklet_id", "verdict", "reviewer", "seconds", "clicks"])
        joined = members.merge(verdicts[["masklet_id", "verdict"]], on="masklet_id", how="left")
        joined["verdict"] = joined["verdict"].fillna("unreviewed")
        for (origin, verdict), n in joined.groupby(["origin", "verdict"]).size().items():
            out.append(row("composition", f"dataset_version:{version.id}", f"{origin}/{verdict}",
                           origin=origin, verdict=verdict, masklets=int(n)))
        ids = [int(i) for i in members["masklet_id"]]
        for r in session.execute(_REVIEWERS_SQL, {"dataset_id": version.dataset_id, "ids": ids}).all():
            out.append(row("reviewer", f"reviewer:{r.reviewer}", r.reviewer, None, r.reviewer, reviews=int(r.reviews),
                           seconds=float(r.seconds or 0), clicks=int(r.clicks or 0),
                           frames_edited=int(r.frames_edited or 0)))
    out.extend(runs_and_models(session, [int(version.id)]))
    return frame(out)
