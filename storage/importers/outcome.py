"""What an import or ingest did with one input (a video file, frame folder or DAVIS sequence)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from storage.errors import StorageError
from storage.records import VideoRef

ImportStatus = Literal["ingested", "already ingested", "failed"]


@dataclass(frozen=True)
class ImportOutcome:
    """``name``: what the user pointed at (file or sequence name; shown, never stored);
    ``video``: the catalog video (None when failed); ``n_masklets``: ground-truth masklets added;
    ``error``: why it failed (status "failed")."""

    name: str
    status: ImportStatus
    video: VideoRef | None = None
    n_masklets: int = 0
    error: StorageError | None = None
