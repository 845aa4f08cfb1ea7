"""``maskloop round schedule``: a cron schedule that creates and runs a round of N videos.

Adds itself to the ``round`` group (flows/cli/round_cmd.py) when imported; flows/cli/groups.py
lists this module among its EXTENSIONS.
"""

from __future__ import annotations

import typer

from flows.cli.context import settings_of
from flows.cli.round_cmd import app


@app.command("schedule")
def schedule(
    ctx: typer.Context,
    dataset: str = typer.Option(..., "--dataset", help="Dataset whose videos the rounds annotate."),
    cron: str = typer.Option(..., "--cron", help='Cron expression, e.g. "0 6 * * 1-5" (5 fields).'),
    videos: int = typer.Option(..., "--videos", min=1, help="Videos per round."),
    timezone: str = typer.Option("UTC", "--timezone", help="IANA time zone of the cron expression."),
) -> None:
    """Create (or replace) the cron schedule that runs a round of N videos of DATASET."""
    from flows.orchestration.round_schedule import schedule_round

    result = schedule_round(settings_of(ctx), dataset=dataset, cron=cron, videos=videos, timezone=timezone)
    typer.echo(
        f"scheduled {result.deployment}: a round of {result.videos} videos of {result.dataset!r} "
        f"at {result.cron!r} ({result.timezone})"
    )
