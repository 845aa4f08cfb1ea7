"""What a dataset's next version sees: the frozen split of each video and the accepted work
not yet in a version."""

from __future__ import annotations

import sqlalchemy as sa

from storage.catalog.catalog import Catalog
from storage.catalog.tables import Dataset, Masklet, Video, VideoSplit
from storage.records import MaskletOrigin, MaskletStatus


def video_splits(catalog: Catalog, dataset: str) -> dict[int, str]:
    """Stored (frozen) split of each video of ``dataset`` that entered a version."""
    with catalog.session(f"reading splits of {dataset!r}") as s:
        rows = s.execute(sa.select(VideoSplit.video_id, VideoSplit.split).join(Video, Video.id == VideoSplit.video_id)
                         .join(Dataset, Dataset.id == Video.dataset_id).where(Dataset.name == dataset)).all()
    return {int(v): str(sp) for v, sp in rows}


def accepted_since_last_version(catalog: Catalog, dataset: str) -> int:
    """Accepted masklets (not ground truth) changed since the dataset's newest version (dirty)."""
    with catalog.session(f"counting new accepted masklets of {dataset!r}") as s:
        return int(s.execute(
            sa.select(sa.func.count(Masklet.id)).join(Video, Video.id == Masklet.video_id)
            .join(Dataset, Dataset.id == Video.dataset_id)
            .where(Dataset.name == dataset, Masklet.status == MaskletStatus.ACCEPTED, Masklet.dirty.is_(True),
                   Masklet.origin != MaskletOrigin.GROUND_TRUTH)).scalar())
