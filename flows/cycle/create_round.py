"""Create an annotation round: choose videos, take the champion model, record the round.

Selection: training-split videos of the dataset (the stored split, or the one the first commit
will fix for videos never committed) that no round has annotated yet, ``priority``
``unannotated`` (oldest first) or ``low_confidence`` (lowest mean score of their earlier
automatic masklets first, then never-proposed videos). The round records the champion as its
model; budget = the number of videos.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from prefect import flow

from flows.cycle.champion import ensure_champion
from flows.cycle.config import CycleConfig
from flows.cycle.workspace import Workspace, open_workspace
from flows.errors import InvalidInputError, NotFoundError
from flows.settings import Settings
from storage.catalog import rounds as catalog_rounds
from storage.catalog.masklets import list_masklets
from storage.catalog.rounds import record_plan
from storage.catalog.splits import video_splits
from storage.catalog.videos import list_videos
from storage.records import MaskletOrigin
from storage.versions.splits import split_for

PRIORITIES = ("unannotated", "low_confidence")


@dataclass(frozen=True)
class RoundPlan:
    """A created round: its id, the chosen videos and the model (name@version) it uses."""

    round_id: int
    dataset: str
    video_ids: tuple[int, ...]
    model: str
    model_version_id: int


def candidate_videos(ws: Workspace, dataset: str, *, cfg: CycleConfig, priority: str) -> list[int]:
    """Training-split video ids in selection order (see module docstring)."""
    if priority not in PRIORITIES:
        raise InvalidInputError(f"unknown priority {priority!r}: use one of {', '.join(PRIORITIES)}")
    videos = list_videos(ws.catalog, dataset)
    stored = video_splits(ws.catalog, dataset)
    train = [v for v in videos if stored.get(v.id, split_for(v.sha256, cfg.split_fractions)) == "train"]
    masklets = list_masklets(ws.catalog, dataset=dataset)
    annotated = set(masklets.loc[masklets["round_id"].notna() & (masklets["origin"] != "ground_truth"),
                                 "video_id"].astype(int))
    if priority == "unannotated":
        return [v.id for v in train if v.id not in annotated]
    confidence = _mean_confidence(ws, masklets)
    return sorted((v.id for v in train), key=lambda vid: (confidence.get(vid, 2.0), vid))


def _mean_confidence(ws: Workspace, masklets: pd.DataFrame) -> dict[int, float]:
    """Mean per-frame score of each video's automatic masklets (current revisions)."""
    from flows.cycle.media import load_blob

    out: dict[int, list[float]] = {}
    for row in masklets[masklets["origin"] == MaskletOrigin.AUTO].itertuples():
        scores = load_blob(ws.store, row.blob_key).scores
        out.setdefault(int(row.video_id), []).extend(scores)
    return {vid: sum(s) / len(s) for vid, s in out.items() if s}


def plan_round(ws: Workspace, *, dataset: str, n_videos: int, cfg: CycleConfig,
               priority: str = "unannotated") -> RoundPlan:
    """Create the round row (status ``created``) for up to ``n_videos`` videos."""
    if n_videos < 1:
        raise InvalidInputError("a round needs at least 1 video (--videos N)")
    if not list_videos(ws.catalog, dataset):
        raise NotFoundError(f"dataset {dataset!r} has no videos; ingest some with `maskloop ingest`")
    chosen = candidate_videos(ws, dataset, cfg=cfg, priority=priority)[:n_videos]
    if not chosen:
        raise NotFoundError(f"dataset {dataset!r} has no training video left to annotate; ingest more videos "
                            "or use --priority low_confidence")
    champion = ensure_champion(ws, cfg)
    round_id = catalog_rounds.create_round(ws.catalog, dataset=dataset, model_version_id=champion.id, budget=len(chosen), **ws.who)
    record_plan(ws.catalog, round_id, chosen, **ws.who)
    return RoundPlan(round_id=round_id, dataset=dataset, video_ids=tuple(chosen),
                     model=f"{champion.ref.name}@{champion.ref.version}", model_version_id=champion.id)


@flow(name="create-round")
def create_round(dataset: str, n_videos: int, priority: str = "unannotated", settings: Settings | None = None,
                 config: CycleConfig | None = None) -> RoundPlan:
    """Create a round of ``n_videos`` videos of ``dataset`` with the champion model."""
    with open_workspace(settings) as ws:
        return plan_round(ws, dataset=dataset, n_videos=n_videos, cfg=config or CycleConfig(), priority=priority)
