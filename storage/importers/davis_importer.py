"""Import a DAVIS-layout folder: every sequence becomes a video, its masks ground-truth masklets.

Layout and its checks: :mod:`storage.importers.davis_folder`
(``ROOT/JPEGImages/480p/<seq>/00000.jpg ...``, with ground truth ``ROOT/Annotations/480p/<seq>/00000.png``). Every frame is stored (DAVIS frames are the annotated frames),
recorded at ``fps`` (24 for DAVIS). The video's identity is the sha256 over its frame files in
order, so importing again reports "already ingested" and creates nothing.

Each sequence is checked completely (frame numbering, one mask per frame with the same names,
mask sizes equal to frame sizes) before anything is stored; a malformed sequence is reported as
"failed" with the reason and the other sequences go on. Frames and blobs are written first, then
the video and its masklets are registered in one transaction (nothing half-registered).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from storage.catalog.catalog import Catalog
from storage.catalog.refs import check_name
from storage.catalog.videos import find_video
from storage.errors import InvalidInputError, NotFoundError
from storage.importers.davis_folder import (
    davis_sequences,
    frame_folder,
    mask_folder,
    read_id_maps,
    sequence_files,
)
from storage.importers.gt_masklets import register_with_ground_truth, store_id_map_masklets
from storage.importers.outcome import ImportOutcome
from storage.media.frame_folder import check_same_size, list_frame_files
from storage.media.hashing import sha256_files
from storage.media.ingest import Progress, ingest_frame_folder
from storage.objects.object_store import ObjectStore

DAVIS_FPS = 24.0


def read_sequence_masks(root: Path, sequence: str, frames: list[Path]) -> list[np.ndarray]:
    """Object-id maps (H x W uint8), one per frame, checked against the frames' names and size."""
    width, height = check_same_size(frames, what=f"sequence {sequence}")
    _, masks = sequence_files(frames[0].parent, mask_folder(root, sequence), sequence)
    return read_id_maps(sequence, masks, height=height, width=width)


def import_davis_sequence(
    root: Path, sequence: str, *, dataset: str, catalog: Catalog, store: ObjectStore, with_gt: bool,
    actor: str, role: str, fps: float = DAVIS_FPS, progress: Progress | None = None,
) -> ImportOutcome:
    """Import one sequence (see module doc); raises InvalidInputError when it is malformed."""
    seq_dir = frame_folder(root, sequence)
    frames = list_frame_files(seq_dir)
    sha = sha256_files(frames)
    existing = find_video(catalog, dataset, sha)
    if existing is not None:
        return ImportOutcome(name=sequence, status="already ingested", video=existing)
    id_maps = read_sequence_masks(root, sequence, frames) if with_gt else []
    new = ingest_frame_folder(seq_dir, dataset=dataset, fps=fps, store=store, progress=progress)
    stored = store_id_map_masklets(video_sha256=new.sha256, id_maps=id_maps, store=store) if with_gt else []
    ref = register_with_ground_truth(catalog, new, stored, actor=actor, role=role)
    return ImportOutcome(name=sequence, status="ingested", video=ref, n_masklets=len(stored))


def import_davis(
    root: Path, *, dataset: str, catalog: Catalog, store: ObjectStore, with_gt: bool, actor: str, role: str,
    sequences: list[str] | None = None, fps: float = DAVIS_FPS,
    progress: Callable[[str], Progress | None] | None = None,
) -> list[ImportOutcome]:
    """Import every (or the named) sequence of a DAVIS root; one outcome per sequence, in order.

    A malformed sequence gives a "failed" outcome carrying its InvalidInputError; service errors
    (UnavailableError) propagate. ``progress(sequence)`` may return a per-sequence callback.
    """
    available = davis_sequences(root)
    wanted = sequences or available
    unknown = [s for s in wanted if s not in available]
    if unknown:
        have = ", ".join(available[:8]) + (", ..." if len(available) > 8 else "")
        raise NotFoundError(f"sequences not found under {root}: {', '.join(unknown)} (have: {have})")
    check_name(dataset)  # before any work; the dataset row is created with the first video
    outcomes: list[ImportOutcome] = []
    for sequence in wanted:
        try:
            outcomes.append(import_davis_sequence(
                root, sequence, dataset=dataset, catalog=catalog, store=store, with_gt=with_gt, actor=actor,
                role=role, fps=fps, progress=progress(sequence) if progress else None,
            ))
        except (InvalidInputError, NotFoundError) as exc:
            outcomes.append(ImportOutcome(name=sequence, status="failed", error=exc))
    return outcomes
