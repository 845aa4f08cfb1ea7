"""Figures of one annotation round, as the report and ``maskloop round status`` show them.

proposed: automatic masklets the round generated; accepted / rejected: round masklets (automatic
and manual) with that final status; acceptance_rate: accepted automatic / proposed; effort:
frames edited, clicks and seconds summed over every review of the round's masklets (the manual
drawings included), per accepted masklet; wall_seconds: from creation to the latest status
change; model: the round's model and its latest validation J&F; retraining: the model trained on
the version committed after the round, its J&F, the champion it was compared with and the decision.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from flows.cycle.workspace import Workspace
from storage.catalog.model_aliases import list_models, training_runs
from storage.catalog.reviews import round_reviews
from storage.catalog.rounds import get_round, round_events, round_masklets
from storage.records import MaskletOrigin, MaskletStatus


@dataclass(frozen=True)
class RoundStats:
    """See module docstring; J&F values in [0, 1] (None when never evaluated)."""

    round_id: int
    dataset: str
    status: str
    model: str | None
    model_val_JF: float | None
    proposed: int
    manual: int
    accepted: int
    rejected: int
    undecided: int
    acceptance_rate: float
    frames_edited: int
    clicks: int
    review_seconds: float
    frames_edited_per_accepted: float
    clicks_per_accepted: float
    wall_seconds: float
    dataset_version: str | None
    trained_model: str | None
    trained_val_JF: float | None
    champion_JF: float | None
    promoted: bool | None
    champion_after: str | None

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def _events(ws: Workspace, action: str) -> list[tuple[str, dict]]:
    from storage.audit.query import list_events

    events = list_events(ws.catalog.engine, action=action, limit=None)
    return [(e, json.loads(d)) for e, d in zip(events["entity"], events["details"])]


def _latest_jf(ws: Workspace, model_version_id: int) -> float | None:
    found = [d for e, d in _events(ws, "model.evaluation") if e == f"model_version:{model_version_id}"]
    return float(found[-1]["scores"]["JF"]) if found else None


def round_stats(ws: Workspace, round_id: int) -> RoundStats:
    """The figures of round ``round_id`` (see module docstring)."""
    rnd = get_round(ws.catalog, round_id)
    masklets = round_masklets(ws.catalog, round_id)
    reviews = round_reviews(ws.catalog, round_id)
    auto = masklets[masklets["origin"] == MaskletOrigin.AUTO]
    accepted = int((masklets["status"] == MaskletStatus.ACCEPTED).sum())
    models = {m.id: m for m in list_models(ws.catalog)}
    model = models.get(rnd.model_version_id) if rnd.model_version_id else None
    events = round_events(ws.catalog, round_id)
    wall = float((events["at"].max() - events["at"].min()).total_seconds()) if len(events) > 1 else 0.0
    runs = training_runs(ws.catalog)
    mine = runs[runs["params"].map(lambda p: str(p.get("round_id")) == str(round_id))]
    trained = None
    decision: dict | None = None
    version = None
    if not mine.empty:
        run = mine.iloc[-1]
        trained = next((m for m in models.values() if m.training_run_id == int(run["id"])), None)
        version = str(run["params"].get("dataset_version"))
        if trained is not None:
            label = f"{trained.ref.name}@{trained.ref.version}"
            decisions = [d for _, d in _events(ws, "model.alias") + _events(ws, "model.promotion_decision")
                         if d.get("candidate") == label and "candidate_JF" in d]
            decision = decisions[-1] if decisions else None
    frames_edited, clicks = int(reviews["frames_edited"].sum()), int(reviews["clicks"].sum())
    return RoundStats(
        round_id=round_id, dataset=rnd.dataset, status=rnd.status,
        model=f"{model.ref.name}@{model.ref.version}" if model else None,
        model_val_JF=_latest_jf(ws, model.id) if model else None,
        proposed=len(auto), manual=int((masklets["origin"] == MaskletOrigin.MANUAL).sum()), accepted=accepted,
        rejected=int((masklets["status"] == MaskletStatus.REJECTED).sum()),
        undecided=int(masklets["status"].isin([MaskletStatus.IN_REVIEW, MaskletStatus.NEEDS_FIX, MaskletStatus.PROPOSED]).sum()),
        acceptance_rate=float((auto["status"] == MaskletStatus.ACCEPTED).sum() / len(auto)) if len(auto) else 0.0,
        frames_edited=frames_edited, clicks=clicks, review_seconds=float(reviews["seconds"].sum()),
        frames_edited_per_accepted=frames_edited / accepted if accepted else 0.0,
        clicks_per_accepted=clicks / accepted if accepted else 0.0, wall_seconds=wall, dataset_version=version,
        trained_model=f"{trained.ref.name}@{trained.ref.version}" if trained else None,
        trained_val_JF=float(decision["candidate_JF"]) if decision else (_latest_jf(ws, trained.id) if trained else None),
        champion_JF=float(decision["champion_JF"]) if decision else None,
        promoted=(decision.get("decision") == "promoted") if decision else None,
        champion_after=(decision["candidate"] if decision.get("decision") == "promoted" else decision["champion"])
        if decision else None)
