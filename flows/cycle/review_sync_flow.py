"""The ``sync-reviews`` deployment's flow: from a Label Studio project id to its round(s).

The webhook receiver emits ``maskloop.review.submitted`` with the project id; the deployment's
event trigger runs :func:`sync_project_reviews` with ``project_id`` set, which advances the open
round(s) reviewed in that project (record reviews, refine, reopen, close and run the retraining
check when nothing is undecided: :func:`flows.cycle.annotation_round.run_round`). The safety-net
schedule runs it with ``project_id=None``: every round that has a review project and is not closed.
Rounds are advanced one after another; syncing is idempotent (reviews carry their Label Studio
annotation id), so a duplicate trigger only costs a look-up.
"""

from __future__ import annotations

from dataclasses import dataclass

from prefect import flow

from flows.cycle.config import CycleConfig
from flows.settings import Settings
from storage.records import RoundStatus

#: Round statuses a sync can still move.
OPEN_STATUSES = (RoundStatus.IN_REVIEW, RoundStatus.REFINING)


@dataclass(frozen=True)
class ProjectSync:
    """Rounds advanced by one sync: (round id, status after the sync)."""

    project_id: int | None
    rounds: tuple[tuple[int, str], ...]


def rounds_to_sync(rounds: list, project_id: int | None) -> list[int]:  # type: ignore[type-arg]
    """Ids of rounds (``storage.catalog.rounds.RoundInfo``) reviewed in ``project_id`` and still open.

    ``project_id`` None: every open round that has a review project.
    """
    return [
        r.id
        for r in rounds
        if r.status in OPEN_STATUSES
        and r.label_studio_project_id is not None
        and (project_id is None or int(r.label_studio_project_id) == int(project_id))
    ]


@flow(name="sync-project-reviews")
def sync_project_reviews(project_id: int | None = None, settings: Settings | None = None,
                         config: CycleConfig | None = None) -> ProjectSync:
    """Advance the open rounds of Label Studio project ``project_id`` (all open rounds when None).

    ``config``: the cycle's knobs used by refinement and the retraining check (default ``CycleConfig()``).
    """
    from flows.cycle.annotation_round import run_round
    from flows.cycle.workspace import open_workspace
    from storage.catalog.rounds import list_rounds

    with open_workspace(settings) as ws:
        todo = rounds_to_sync(list_rounds(ws.catalog), project_id)
        settings = ws.settings
    done = tuple(
        (rid, run_round.fn(rid, reviewer="label-studio", settings=settings, config=config).status) for rid in todo
    )
    return ProjectSync(project_id=project_id, rounds=done)
