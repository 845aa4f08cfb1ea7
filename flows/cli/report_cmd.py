"""``maskloop report``: Reports people would rather look at (HTML with plots and pictures).

``report round ID [ID ...] --html FILE`` writes the HTML report of annotation rounds: their
figures (proposed / accepted / rejected, effort, time, model and J&F), plots and overlay contact
sheets. ``maskloop round report`` is the same command (:func:`round_report` registered twice).
"""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli.context import settings_of

app = typer.Typer(help="Reports: HTML pages with figures, plots and overlays.", no_args_is_help=True)


@app.command("round")
def round_report(
    ctx: typer.Context,
    round_ids: list[int] = typer.Argument(..., help="Round id(s)."),
    html_file: Path = typer.Option(..., "--html", help="HTML file to write."),
) -> None:
    """Write the HTML report of rounds: figures, plots and overlay contact sheets."""
    from flows.cycle.workspace import open_workspace
    from flows.report.html_report import write_report

    with open_workspace(settings_of(ctx)) as ws:
        path = write_report(ws, round_ids, html_file, title=f"maskloop round {', '.join(map(str, round_ids))}")
    typer.echo(f"report: {path}")
