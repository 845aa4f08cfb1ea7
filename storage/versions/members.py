"""Reading dataset versions: lookup, membership (folded from the deltas), list and diff.

The public functions take the :class:`~storage.catalog.catalog.Catalog` and read in one
transaction; the ``*_in_session`` ones read inside a caller's session (lineage queries).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session

from storage.catalog.catalog import Catalog
from storage.catalog.refs import version_row
from storage.catalog.tables import DatasetVersion
from storage.catalog.videos import dataset_id
from storage.records import DatasetVersionRef

if TYPE_CHECKING:
    import pandas as pd

MEMBER_COLUMNS = ["masklet_id", "revision", "video_id", "video_sha256", "blob_key", "blob_sha256", "split", "origin"]
VERSION_COLUMNS = ["number", "parent_number", "n_members", "n_added", "n_updated", "n_removed",
                   "manifest_sha256", "created_by", "created_at", "message"]
DIFF_COLUMNS = ["masklet_id", "change", "revision_a", "revision_b", "video_id", "split", "origin"]

# Latest change of each masklet among versions 1..N of the dataset; "remove" means not a member.
_MEMBERS_SQL = sa.text(
    """
    WITH ranked AS (
        SELECT c.masklet_id, c.revision_id, c.op,
               ROW_NUMBER() OVER (PARTITION BY c.masklet_id ORDER BY v.number DESC) AS rn
        FROM dataset_version_change c
        JOIN dataset_version v ON v.id = c.version_id
        WHERE v.dataset_id = :dataset_id AND v.number <= :number
    )
    SELECT r.masklet_id, mr.rev AS revision, m.video_id, vid.sha256 AS video_sha256,
           mr.blob_key, mr.blob_sha256, s.split, m.origin
    FROM ranked r
    JOIN masklet_revision mr ON mr.id = r.revision_id
    JOIN masklet m ON m.id = r.masklet_id
    JOIN video vid ON vid.id = m.video_id
    JOIN video_split s ON s.video_id = m.video_id
    WHERE r.rn = 1 AND r.op <> 'remove'
    ORDER BY r.masklet_id
    """
)


def to_ref(row: DatasetVersion, dataset: str) -> DatasetVersionRef:
    return DatasetVersionRef(dataset=dataset, number=row.number, manifest_key=row.manifest_key,
                             manifest_sha256=row.manifest_sha256)


def version_members_in_session(session: Session, ref: str) -> pd.DataFrame:
    """Members of ``NAME@N``: one row per masklet, columns :data:`MEMBER_COLUMNS`, sorted by masklet id."""
    import pandas as pd  # imported on use: the catalog's writers (flow runs) never need it

    row, _name = version_row(session, ref)
    rows = session.execute(_MEMBERS_SQL, {"dataset_id": row.dataset_id, "number": row.number}).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=MEMBER_COLUMNS)


def list_versions_in_session(session: Session, dataset: str) -> pd.DataFrame:
    """Every version of ``dataset``, oldest first; columns :data:`VERSION_COLUMNS`."""
    import pandas as pd  # imported on use: the catalog's writers (flow runs) never need it

    ds_id = dataset_id(session, dataset)
    parent = sa.orm.aliased(DatasetVersion)
    rows = session.execute(
        sa.select(DatasetVersion.number, parent.number, DatasetVersion.n_members, DatasetVersion.n_added,
                  DatasetVersion.n_updated, DatasetVersion.n_removed, DatasetVersion.manifest_sha256,
                  DatasetVersion.created_by, DatasetVersion.created_at, DatasetVersion.message)
        .outerjoin(parent, parent.id == DatasetVersion.parent_id)
        .where(DatasetVersion.dataset_id == ds_id).order_by(DatasetVersion.number)
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=VERSION_COLUMNS).astype({"parent_number": "Int64"})


def diff_versions_in_session(session: Session, ref_a: str, ref_b: str) -> pd.DataFrame:
    """Masklets added, removed or changed (other revision) from ``ref_a`` to ``ref_b``.

    Columns :data:`DIFF_COLUMNS`; ``change`` is "added", "removed" or "changed".
    """
    import pandas as pd  # imported on use: the catalog's writers (flow runs) never need it

    a = version_members_in_session(session, ref_a).set_index("masklet_id")
    b = version_members_in_session(session, ref_b).set_index("masklet_id")
    out = []
    for mid in b.index.difference(a.index):
        r = b.loc[mid]
        out.append((int(mid), "added", None, int(r.revision), int(r.video_id), r.split, r.origin))
    for mid in a.index.difference(b.index):
        r = a.loc[mid]
        out.append((int(mid), "removed", int(r.revision), None, int(r.video_id), r.split, r.origin))
    both = a.index.intersection(b.index)
    moved = both[(a.loc[both, "revision"] != b.loc[both, "revision"]).to_numpy()]
    for mid in moved:
        r = b.loc[mid]
        out.append((int(mid), "changed", int(a.loc[mid, "revision"]), int(r.revision), int(r.video_id), r.split, r.origin))
    frame = pd.DataFrame(out, columns=DIFF_COLUMNS).sort_values("masklet_id", kind="stable").reset_index(drop=True)
    return frame.astype({"revision_a": "Int64", "revision_b": "Int64"})


def get_version(catalog: Catalog, ref: str) -> DatasetVersionRef:
    with catalog.session(f"reading dataset version {ref}") as s:
        return to_ref(*version_row(s, ref))


def version_members(catalog: Catalog, ref: str) -> pd.DataFrame:
    """Members of ``NAME@N``: masklet_id, revision, video_id, video_sha256, blob_key, blob_sha256, split, origin."""
    with catalog.session(f"reading members of {ref}") as s:
        return version_members_in_session(s, ref)


def list_versions(catalog: Catalog, dataset: str) -> pd.DataFrame:
    with catalog.session(f"listing versions of {dataset!r}") as s:
        return list_versions_in_session(s, dataset)


def diff_versions(catalog: Catalog, ref_a: str, ref_b: str) -> pd.DataFrame:
    with catalog.session(f"comparing {ref_a} and {ref_b}") as s:
        return diff_versions_in_session(s, ref_a, ref_b)
