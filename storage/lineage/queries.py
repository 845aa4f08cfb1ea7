"""Entry points of the lineage queries on an open :class:`~storage.catalog.catalog.Catalog`.

Each returns a DataFrame with ``storage.lineage.common.LINEAGE_COLUMNS``.
"""

from __future__ import annotations

import pandas as pd

from storage.catalog.catalog import Catalog
from storage.lineage.dataset import dataset_lineage
from storage.lineage.masklet import masklet_lineage
from storage.lineage.model import model_lineage
from storage.lineage.video import video_lineage


def lineage_of_masklet(catalog: Catalog, masklet_id: int) -> pd.DataFrame:
    with catalog.session(f"tracing masklet {masklet_id}") as s:
        return masklet_lineage(s, masklet_id)


def lineage_of_video(catalog: Catalog, video_id: int) -> pd.DataFrame:
    with catalog.session(f"tracing video {video_id}") as s:
        return video_lineage(s, video_id)


def lineage_of_dataset(catalog: Catalog, ref: str) -> pd.DataFrame:
    with catalog.session(f"tracing dataset version {ref}") as s:
        return dataset_lineage(s, ref)


def lineage_of_model(catalog: Catalog, ref: str) -> pd.DataFrame:
    with catalog.session(f"tracing model {ref}") as s:
        return model_lineage(s, ref)
