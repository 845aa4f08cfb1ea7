"""``annotation_round``: one round of the data engine, composed from the cycle's steps.

    create (videos, champion) -> generating (one flow run per video) -> in_review
      -> [reviews arrive] -> refining (corrected frames re-propagated) -> in_review -> ... -> closed
      -> commit dataset version -> retrain (MLflow) -> evaluate and promote

It never blocks a worker waiting for people: with Label Studio the run ends once the review is
open (status ``in_review``); each review sync (:func:`sync_reviews`, from the webhook or a
schedule) records what arrived, refines, reopens and, when nothing is left undecided, closes the
round and runs the retraining check. With the oracle reviewer every review arrives at once, so a
single run goes all the way. :func:`advance_round` moves any round as far as it can go now.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prefect import flow

from flows.cycle.auto_retrain import RetrainCheck, check_and_retrain
from flows.cycle.close_round import close_round
from flows.cycle.config import CycleConfig
from flows.cycle.create_round import plan_round
from flows.cycle.refine import refine_round
from flows.cycle.reviewer_oracle import oracle_pass
from flows.cycle.runtime import call
from flows.cycle.workspace import Workspace, open_workspace
from flows.errors import InvalidInputError
from flows.settings import Settings
from storage.catalog.generation import generated_videos
from storage.catalog.rounds import get_round, round_masklets, round_videos, set_round_status
from storage.records import MaskletStatus, RoundStatus

if TYPE_CHECKING:
    from ui_adapters.review_ui import ReviewUI

REVIEWERS = ("label-studio", "oracle")
Step = Callable[[str], None]


@dataclass(frozen=True)
class RoundOutcome:
    """Where a round stands after a run: its status, and the retraining check once closed."""

    round_id: int
    dataset: str
    status: str
    retrain: RetrainCheck | None


def _note(step: Step | None, text: str) -> None:
    if step is not None:
        step(text)


def generate_round(ws: Workspace, round_id: int, *, cfg: CycleConfig, step: Step | None = None) -> None:
    """Generate masklets for every planned video not generated yet (fan-out with a server)."""
    from flows.cycle.generate_flow import generate_video_masklets
    from flows.cycle.runtime import server_configured

    set_round_status(ws.catalog, round_id, RoundStatus.GENERATING, **ws.who)
    done = generated_videos(ws.catalog, round_id)
    todo = [v for v in round_videos(ws.catalog, round_id) if v not in done]
    if todo and ws.settings.prefect_api_url and server_configured():
        from flows.orchestration.fanout import run_generation_fanout

        _note(step, f"round {round_id}: generating masklets of {len(todo)} videos on the gpu pool")
        # the round's config travels as a plain parameter (no settings, no secrets)
        run_generation_fanout(round_id, todo, parameters={"config": dataclasses.asdict(cfg)})
    else:
        for k, video_id in enumerate(todo, 1):
            _note(step, f"round {round_id}: generating masklets of video {video_id} ({k}/{len(todo)})")
            call(generate_video_masklets, round_id, video_id, settings=ws.settings, config=cfg)
    set_round_status(ws.catalog, round_id, RoundStatus.IN_REVIEW, **ws.who)


def _undecided(ws: Workspace, round_id: int) -> tuple[int, int]:
    status = round_masklets(ws.catalog, round_id)["status"]
    return int((status == MaskletStatus.IN_REVIEW).sum()), int((status == MaskletStatus.NEEDS_FIX).sum())


def review_with_oracle(ws: Workspace, round_id: int, *, cfg: CycleConfig, step: Step | None = None) -> None:
    """Oracle passes with refinement in between until nothing is left to review."""
    passes = cfg.review_passes + 1
    for k in range(1, passes + 1):
        in_review, _ = _undecided(ws, round_id)
        if in_review == 0 and k > 1:
            break
        _note(step, f"round {round_id}: oracle review pass {k}")
        call(oracle_pass, ws, round_id, cfg=cfg, first=k == 1, final=k == passes)
        _, needs_fix = _undecided(ws, round_id)
        if needs_fix:
            set_round_status(ws.catalog, round_id, RoundStatus.REFINING, **ws.who)
            _note(step, f"round {round_id}: refining {needs_fix} masklets")
            call(refine_round, ws, round_id)
            set_round_status(ws.catalog, round_id, RoundStatus.IN_REVIEW, **ws.who)


def advance_round(ws: Workspace, round_id: int, *, reviewer: str, cfg: CycleConfig, retrain: bool | None = None,
                  step: Step | None = None, progress: Callable[[int, int], None] | None = None,
                  ui: ReviewUI | None = None) -> RoundOutcome:
    """Move a round as far as it can go now (see module docstring).

    ``retrain``: True always retrains after closing, False never, None when the retraining
    threshold is reached (``settings.retrain_after_accepted``). ``ui``: the review UI for
    ``label-studio`` (default: built from settings).
    """
    if reviewer not in REVIEWERS:
        raise InvalidInputError(f"unknown reviewer {reviewer!r}: use one of {', '.join(REVIEWERS)}")
    rnd = get_round(ws.catalog, round_id)
    if rnd.status in (RoundStatus.CREATED, RoundStatus.GENERATING):
        generate_round(ws, round_id, cfg=cfg, step=step)
    if get_round(ws.catalog, round_id).status != RoundStatus.CLOSED:
        if reviewer == "oracle":
            review_with_oracle(ws, round_id, cfg=cfg, step=step)
        else:
            from flows.cycle.review import (
                close_round_review,
                open_round_review,
                review_ui,
                sync_round_reviews,
            )

            ui = ui if ui is not None else review_ui(ws)
            opened = get_round(ws.catalog, round_id).label_studio_project_id is not None
            pending = sync_round_reviews(ws, round_id, ui).objects_pending if opened else 0
            if _undecided(ws, round_id)[1]:
                set_round_status(ws.catalog, round_id, RoundStatus.REFINING, **ws.who)
                call(refine_round, ws, round_id)
            # people still have work: undecided masklets, or "add objects" tasks nobody submitted
            # (a round that proposed nothing opens with those alone)
            if not opened or pending or any(_undecided(ws, round_id)):
                if not opened and not len(round_masklets(ws.catalog, round_id)):
                    _note(step, f"round {round_id}: the model proposed 0 masklets; the review opens with an "
                                "'add objects' task per video, to draw the objects it missed")
                open_round_review(ws, round_id, ui)
                return RoundOutcome(round_id, rnd.dataset, get_round(ws.catalog, round_id).status, None)
            close_round_review(ws, round_id, ui)
        close_round(ws, round_id)
    if retrain is False:
        return RoundOutcome(round_id, rnd.dataset, RoundStatus.CLOSED, None)
    _note(step, f"round {round_id}: committing the dataset version and retraining" if retrain
          else f"round {round_id}: checking whether retraining is due")
    check = check_and_retrain(ws, rnd.dataset, cfg=cfg, force=bool(retrain), round_id=round_id, progress=progress)
    return RoundOutcome(round_id, rnd.dataset, RoundStatus.CLOSED, check)


@flow(name="annotation-round")
def annotation_round(dataset: str, n_videos: int = 4, reviewer: str = "label-studio", retrain: bool | None = None,
                     priority: str = "unannotated", settings: Settings | None = None,
                     config: CycleConfig | None = None) -> RoundOutcome:
    """Create a round of ``n_videos`` videos of ``dataset`` and advance it as far as possible."""
    cfg = config or CycleConfig()
    with open_workspace(settings) as ws:
        plan = plan_round(ws, dataset=dataset, n_videos=n_videos, cfg=cfg, priority=priority)
        return advance_round(ws, plan.round_id, reviewer=reviewer, cfg=cfg, retrain=retrain)


@flow(name="run-round")
def run_round(round_id: int, reviewer: str = "label-studio", retrain: bool | None = None,
              settings: Settings | None = None, config: CycleConfig | None = None, step: Step | None = None,
              progress: Callable[[int, int], None] | None = None) -> RoundOutcome:
    """Advance an existing round (``maskloop round run ID``; also what a review sync calls).

    ``step(text)`` / ``progress(done, total)``: optional in-process progress callbacks."""
    with open_workspace(settings) as ws:
        return advance_round(ws, round_id, reviewer=reviewer, cfg=config or CycleConfig(), retrain=retrain,
                             step=step, progress=progress)



@flow(name="sync-reviews")
def sync_reviews(round_id: int, retrain: bool | None = None, settings: Settings | None = None,
                 config: CycleConfig | None = None) -> RoundOutcome:
    """Record the Label Studio reviews that arrived, refine, reopen; close when all are decided."""
    return run_round.fn(round_id, reviewer="label-studio", retrain=retrain, settings=settings, config=config)
