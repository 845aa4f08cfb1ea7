"""Close a round: what is still undecided stays out of the dataset, the round becomes ``closed``.

Masklets still ``in_review`` or ``needs_fix`` when a round is closed are left as they are (not
accepted, so no dataset version contains them); the audit event lists how many there were.
"""

from __future__ import annotations

from flows.cycle.workspace import Workspace
from storage.catalog.rounds import get_round, round_masklets, set_round_status
from storage.records import RoundStatus


def close_round(ws: Workspace, round_id: int) -> dict[str, int]:
    """Close the round (idempotent); returns its masklet counts by status."""
    counts = {str(k): int(v) for k, v in round_masklets(ws.catalog, round_id)["status"].value_counts().items()}
    if get_round(ws.catalog, round_id).status != RoundStatus.CLOSED:
        set_round_status(ws.catalog, round_id, RoundStatus.CLOSED, **ws.who, details={"masklets": counts})
    return counts
