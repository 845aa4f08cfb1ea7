"""``maskloop eval``: semi-supervised VOS evaluation (J, F, J&F) on a DAVIS-layout folder."""

from __future__ import annotations

from pathlib import Path

import typer

from flows.errors import FlowError


def evaluate(
    ctx: typer.Context,
    data: Path = typer.Option(..., "--data", help="DAVIS root (JPEGImages/480p, Annotations/480p)."),
    sequences: str | None = typer.Option(None, "--sequences", help="Comma-separated sequence names."),
    model: str = typer.Option("builtin:default", "--model", help="Model reference."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Evaluate a model: first-frame masks as prompts, J/F/J&F on every later frame."""
    raise FlowError("eval is not available in this build yet (Model issue)")
