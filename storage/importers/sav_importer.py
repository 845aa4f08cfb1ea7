"""Import an SA-V annotation file together with its video: frames at the annotation rate and one
ground-truth masklet per SA-V object.

SA-V annotates every 4th frame of a 24 fps video (6 fps). The video is therefore sampled with a
stride of exactly ``annotation_stride`` source frames (stored frame t = source frame 4 t), and
the number of stored frames must equal the number of annotated frames, with the same size --
otherwise InvalidInputError before anything is registered. Idempotent: a video already in the
dataset is reported "already ingested" and nothing is added.
"""

from __future__ import annotations

from pathlib import Path

from storage.catalog.catalog import Catalog
from storage.catalog.refs import check_name
from storage.catalog.videos import find_video
from storage.errors import InvalidInputError
from storage.importers.gt_masklets import register_with_ground_truth, store_masklet
from storage.importers.outcome import ImportOutcome
from storage.masks.sav_json import SAV_ANNOTATION_STRIDE, read_sav
from storage.media.hashing import sha256_file
from storage.media.ingest import Progress, ingest_video
from storage.media.sampling import sampled_source_indices
from storage.media.video_probe import probe_video
from storage.objects.object_store import ObjectStore


def import_sav(
    json_path: Path, *, video: Path, dataset: str, catalog: Catalog, store: ObjectStore, actor: str, role: str,
    annotation_stride: int = SAV_ANNOTATION_STRIDE, progress: Progress | None = None,
) -> ImportOutcome:
    """Import ``video`` with the masklets of the SA-V file ``json_path`` as ground truth."""
    check_name(dataset)  # before any work; the dataset row is created with the video
    annotation = read_sav(json_path)
    video = Path(video)
    probe = probe_video(video)
    if (probe.height, probe.width) != (annotation.height, annotation.width):
        raise InvalidInputError(
            f"{json_path.name} annotates {annotation.width}x{annotation.height} frames but {video.name} is "
            f"{probe.width}x{probe.height}; is it the right video?"
        )
    fps = probe.rate / annotation_stride
    n_sampled = len(sampled_source_indices(probe.n_frames, probe.rate, fps))
    if n_sampled != annotation.n_frames:
        raise InvalidInputError(
            f"{json_path.name} has {annotation.n_frames} annotated frames but {video.name} gives {n_sampled} "
            f"frames at every {annotation_stride}th frame; is it the right video?"
        )
    sha = sha256_file(video)
    existing = find_video(catalog, dataset, sha)
    if existing is not None:
        return ImportOutcome(name=video.name, status="already ingested", video=existing)
    new = ingest_video(video, dataset=dataset, fps=fps, store=store, progress=progress, sha256=sha)
    frames = list(range(annotation.n_frames))
    stored = [store_masklet(video_sha256=sha, frame_indices=frames, rles=list(rles), store=store)
              for rles in annotation.masklets]
    ref = register_with_ground_truth(catalog, new, stored, actor=actor, role=role)
    return ImportOutcome(name=video.name, status="ingested", video=ref, n_masklets=len(stored))
