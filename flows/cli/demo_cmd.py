"""``maskloop demo``: the main job on embedded defaults (no servers)."""

from __future__ import annotations

from pathlib import Path

import typer

from flows.errors import FlowError


def demo(
    ctx: typer.Context,
    workdir: Path = typer.Option(Path(".maskloop/demo"), "--workdir", help="Where the demo writes everything."),
    rounds: int = typer.Option(2, "--rounds", min=1, help="Annotation rounds to run."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Run the data engine end to end on generated surgical-like videos."""
    raise FlowError("demo is not available in this build yet")
