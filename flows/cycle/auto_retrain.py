"""Retrain when enough new work exists: K accepted masklets since the dataset's newest version
(``settings.retrain_after_accepted``), or on demand (``force``). Commits the version, retrains
from the champion and gates promotion. A schedulable flow (``retrain_if_due``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prefect import flow

from flows.cycle.commit_version import commit_dataset_version
from flows.cycle.config import CycleConfig
from flows.cycle.evaluate_flow import PromotionDecision, promote_if_better
from flows.cycle.retrain_flow import TrainOutcome, run_retraining
from flows.cycle.runtime import call
from flows.cycle.workspace import Workspace, open_workspace
from flows.settings import Settings
from storage.catalog.splits import accepted_since_last_version
from storage.versions.members import get_version, list_versions


@dataclass(frozen=True)
class RetrainCheck:
    """What the check did: new accepted masklets counted, the version committed, training, decision."""

    dataset: str
    new_accepted: int
    threshold: int
    dataset_version: str | None
    training: TrainOutcome | None
    decision: PromotionDecision | None


def check_and_retrain(ws: Workspace, dataset: str, *, cfg: CycleConfig, force: bool = False,
                      round_id: int | None = None,
                      progress: Callable[[int, int], None] | None = None) -> RetrainCheck:
    """Commit + retrain + promote when due (see module docstring); otherwise do nothing."""
    new = accepted_since_last_version(ws.catalog, dataset)
    threshold = ws.settings.retrain_after_accepted
    if not force and new < threshold:
        return RetrainCheck(dataset, new, threshold, None, None, None)
    message = f"round {round_id}" if round_id is not None else f"{new} new accepted masklets"
    ref = call(commit_dataset_version, ws, dataset, message=message, cfg=cfg)
    if ref is None:
        versions = list_versions(ws.catalog, dataset)
        if versions.empty:
            return RetrainCheck(dataset, new, threshold, None, None, None)
        ref = get_version(ws.catalog, f"{dataset}@{int(versions['number'].max())}")
    outcome = run_retraining(ws, ref.name, cfg=cfg, progress=progress, round_id=round_id)
    decision = promote_if_better(ws, outcome.version, ref.name, cfg=cfg)
    return RetrainCheck(dataset, new, threshold, ref.name, outcome, decision)


@flow(name="retrain-if-due")
def retrain_if_due(dataset: str, force: bool = False, settings: Settings | None = None,
                   config: CycleConfig | None = None) -> RetrainCheck:
    """Retrain ``dataset`` when K new accepted masklets exist since its newest version (or ``force``)."""
    with open_workspace(settings) as ws:
        return check_and_retrain(ws, dataset, cfg=config or CycleConfig(), force=force)
