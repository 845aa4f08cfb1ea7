"""``maskloop masklet``: Masklets people add by hand.

``add --video ID --frame K --mask FILE.png [--round R]`` turns an object the model missed, drawn
on stored frame K of the video (PNG of the video's size; nonzero pixels, or nonzero alpha when
the PNG has transparency, are the object), into a manual masklet in review in the round: the
round's model propagates it both ways (flows/cycle/add_object.py). Adding the same drawing again
changes nothing and prints the first masklet.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path

import typer

from flows.cli.context import settings_of

app = typer.Typer(help="Masklets added by hand: add an object the model missed.", no_args_is_help=True)


def describe(added) -> str:  # type: ignore[no-untyped-def]
    """The one line ``masklet add`` prints for an :class:`~flows.cycle.add_object.AddedObject`."""
    span = f"frame {added.frames[0]}" if len(added.frames) == 1 else f"frames {added.frames[0]}-{added.frames[-1]}"
    what = "added to" if added.created else "was already added to"
    status = added.status.replace("_", " ")
    head = f"masklet {added.masklet_id} {what} round {added.round_id} (video {added.video_id}, {span}, {status})"
    if added.status != "in_review":
        return f"{head}: nothing changed"
    if added.review_open:
        return f"{head}: the round's review project is open; maskloop review open {added.round_id} adds its task"
    return f"{head}: review it with maskloop review open {added.round_id}"


@app.command("add")
def add(
    ctx: typer.Context,
    video: int = typer.Option(..., "--video", help="Video id (`maskloop lineage dataset NAME@N` lists them)."),
    frame: int = typer.Option(..., "--frame", help="Stored frame index the object is drawn on (0-based)."),
    mask: Path = typer.Option(..., "--mask", help="PNG of the video's size: nonzero (or nonzero alpha) = the object."),
    round_id: int | None = typer.Option(None, "--round", help="Round to add to (default: the dataset's open round)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Add an object the model missed: propagate its mask both ways, in review in the round."""
    from flows.cycle.add_object import add_object
    from flows.cycle.runtime import prefect_runtime
    from flows.cycle.workspace import open_workspace
    from storage.masks.drawn_mask_png import read_drawn_mask

    drawn = read_drawn_mask(mask)
    settings = settings_of(ctx)
    # with a Prefect server the propagation waits for a slot of the `gpu` limit like the workers
    runtime = prefect_runtime(settings) if settings.prefect_api_url else nullcontext()
    with runtime, open_workspace(settings) as ws:
        added = add_object(ws, video_id=video, frame=frame, mask=drawn, round_id=round_id)
    if as_json:
        typer.echo(json.dumps({"masklet_id": added.masklet_id, "round_id": added.round_id,
                               "video_id": added.video_id, "frame": added.frame, "frames": list(added.frames),
                               "status": added.status, "created": added.created,
                               "review_open": added.review_open}))
        return
    typer.echo(describe(added))
