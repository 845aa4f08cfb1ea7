"""``maskloop round``: Annotation rounds: create, run, schedule, status, report.

``create`` picks the videos and the champion; ``run`` advances a round as far as it can go now
(generation, review by the oracle or in Label Studio, refinement, close, dataset version,
retraining); ``status`` prints a round's figures; ``report`` writes the HTML report
(``maskloop round report ID --html FILE``, the same command as ``maskloop report round``).
"""

from __future__ import annotations

import json

import typer

from flows.cli.context import settings_of
from flows.cli.report_cmd import round_report

app = typer.Typer(help="Annotation rounds: create, run, schedule, status, report.", no_args_is_help=True)

REVIEWER_HELP = "Who reviews: label-studio (people; the run ends once the review is open) or oracle (ground truth)."


def _retrain(value: str) -> bool | None:
    from flows.errors import InvalidInputError

    choices = {"auto": None, "yes": True, "no": False}
    if value not in choices:
        raise InvalidInputError(f"--retrain must be auto, yes or no, got {value!r}")
    return choices[value]


@app.command("create")
def create(
    ctx: typer.Context,
    dataset: str = typer.Option(..., "--dataset", "-d", help="Dataset whose videos the round annotates."),
    videos: int = typer.Option(4, "--videos", min=1, help="Videos in the round."),
    priority: str = typer.Option("unannotated", "--priority", help="unannotated or low_confidence."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Create a round: training videos not annotated yet (or least confident first), the champion model."""
    from flows.cycle.config import CycleConfig
    from flows.cycle.create_round import plan_round
    from flows.cycle.workspace import open_workspace

    with open_workspace(settings_of(ctx)) as ws:
        plan = plan_round(ws, dataset=dataset, n_videos=videos, cfg=CycleConfig(), priority=priority)
    if as_json:
        typer.echo(json.dumps({"round": plan.round_id, "dataset": plan.dataset, "videos": list(plan.video_ids),
                               "model": plan.model}))
        return
    typer.echo(f"round {plan.round_id} created on {plan.dataset!r}: videos {list(plan.video_ids)}, model {plan.model}")


@app.command("run")
def run(
    ctx: typer.Context,
    round_id: int = typer.Argument(..., help="Round id."),
    reviewer: str = typer.Option("label-studio", "--reviewer", help=REVIEWER_HELP),
    retrain: str = typer.Option("auto", "--retrain", help="After closing: auto (threshold), yes or no."),
) -> None:
    """Advance a round as far as it can go now (never waits for people)."""
    from rich.console import Console

    from flows.cycle.annotation_round import REVIEWERS, run_round
    from flows.cycle.config import CycleConfig
    from flows.cycle.runtime import prefect_runtime
    from flows.errors import InvalidInputError

    if reviewer not in REVIEWERS:
        raise InvalidInputError(f"unknown reviewer {reviewer!r}: use one of {', '.join(REVIEWERS)}")
    settings = settings_of(ctx)
    err = Console(stderr=True)
    with prefect_runtime(settings):
        outcome = run_round(round_id, reviewer=reviewer, retrain=_retrain(retrain), settings=settings,
                            config=CycleConfig(), step=lambda text: err.log(text))
    typer.echo(f"round {outcome.round_id}: {outcome.status}")
    check = outcome.retrain
    if check is not None and check.training is not None and check.decision is not None:
        d = check.decision
        typer.echo(f"trained {check.training.model} on {check.dataset_version}: val J&F {d.candidate_jf:.3f} vs "
                   f"champion {d.champion_before} {d.champion_jf:.3f} -> "
                   f"{'promoted' if d.promoted else 'champion kept'}")


@app.command("status")
def status(
    ctx: typer.Context,
    round_id: int = typer.Argument(..., help="Round id."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """A round's figures: proposed / accepted / rejected, acceptance, effort, time, model and J&F."""
    from rich.console import Console
    from rich.table import Table

    from flows.cycle.round_report import round_stats
    from flows.cycle.workspace import open_workspace

    with open_workspace(settings_of(ctx)) as ws:
        stats = round_stats(ws, round_id)
    if as_json:
        typer.echo(json.dumps(stats.as_json()))
        return
    table = Table(title=f"round {round_id}", show_header=False)
    for key, value in stats.as_json().items():
        table.add_row(key, f"{value:.3f}" if isinstance(value, float) else str(value))
    Console(width=140).print(table)


@app.command("list")
def list_rounds_cmd(
    ctx: typer.Context,
    dataset: str | None = typer.Argument(None, help="Dataset (default: every dataset)."),
) -> None:
    """Rounds with their status."""
    from flows.cycle.workspace import open_workspace
    from storage.catalog.rounds import list_rounds

    with open_workspace(settings_of(ctx)) as ws:
        for r in list_rounds(ws.catalog, dataset):
            typer.echo(f"{r.id}\t{r.dataset}\t{r.status}\t{r.created_at:%Y-%m-%d %H:%M}\tbudget {r.budget}")


# `maskloop round report` is an alias of `maskloop report round` (one function, two names)
app.command("report")(round_report)
