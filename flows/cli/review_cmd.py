"""``maskloop review``: Review of masklets in Label Studio: open, sync, close.

``open ID`` imports the round's masklets in review as tasks; ``sync ID`` records submitted reviews
(idempotent), refines unsatisfactory masklets and reopens them, and closes the round when nothing is
left undecided; ``close ID`` closes the project and the round.
"""

from __future__ import annotations

import typer

from flows.cli.context import settings_of

app = typer.Typer(help="Review of masklets in Label Studio: open, sync, close.", no_args_is_help=True)


@app.command("open")
def open_cmd(ctx: typer.Context, round_id: int = typer.Argument(..., help="Round id.")) -> None:
    """Create (or extend) the round's Label Studio project with its masklets in review."""
    from flows.cycle.review import open_round_review, review_ui
    from flows.cycle.workspace import open_workspace

    with open_workspace(settings_of(ctx)) as ws:
        project = open_round_review(ws, round_id, review_ui(ws))
        typer.echo(f"round {round_id}: review open in Label Studio project {project} "
                   f"({ws.settings.label_studio_url}/projects/{project})")


@app.command("sync")
def sync_cmd(
    ctx: typer.Context,
    round_id: int = typer.Argument(..., help="Round id."),
    retrain: str = typer.Option("auto", "--retrain", help="When the round closes: auto (threshold), yes or no."),
) -> None:
    """Record new reviews, refine, reopen; close the round once every masklet is decided."""
    from flows.cli.round_cmd import _retrain
    from flows.cycle.annotation_round import sync_reviews
    from flows.cycle.runtime import prefect_runtime

    settings = settings_of(ctx)
    with prefect_runtime(settings):
        outcome = sync_reviews(round_id, retrain=_retrain(retrain), settings=settings)
    typer.echo(f"round {outcome.round_id}: {outcome.status}")


@app.command("close")
def close_cmd(ctx: typer.Context, round_id: int = typer.Argument(..., help="Round id.")) -> None:
    """Close the round's project and the round (undecided masklets stay out of the dataset)."""
    from flows.cycle.close_round import close_round
    from flows.cycle.review import close_round_review, review_ui
    from flows.cycle.workspace import open_workspace
    from storage.catalog.rounds import get_round

    with open_workspace(settings_of(ctx)) as ws:
        if get_round(ws.catalog, round_id).label_studio_project_id is not None:
            close_round_review(ws, round_id, review_ui(ws))
        counts = close_round(ws, round_id)
    typer.echo(f"round {round_id}: closed ({', '.join(f'{k} {v}' for k, v in sorted(counts.items())) or 'no masklets'})")
