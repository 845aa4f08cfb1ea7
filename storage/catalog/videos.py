"""Datasets and videos: reads and writes of a :class:`~storage.catalog.catalog.Catalog`.

The public functions take the Catalog first and run in their own transaction (each write with its
audit event); the ``*_in_session`` ones do the same work inside a caller's session, so a larger
transaction (an import with its ground truth) can include them.
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from sqlmodel import Session

from storage.audit.trail import append_event
from storage.catalog.catalog import Catalog
from storage.catalog.refs import check_name
from storage.catalog.tables import Dataset, Video
from storage.errors import ConflictError, InvalidInputError, NotFoundError
from storage.records import NewVideo, VideoRef

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check_sha256(value: str, *, what: str = "sha256") -> str:
    if not isinstance(value, str) or not _SHA256.match(value):
        raise InvalidInputError(f"invalid {what} {value!r}: expected 64 lowercase hex digits")
    return value


def dataset_id(session: Session, name: str) -> int:
    """Id of dataset ``name``; NotFoundError when it does not exist."""
    found = session.execute(sa.select(Dataset.id).where(Dataset.name == name)).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"dataset {name!r} not found; ingest or import videos into it first")
    return found


def ensure_dataset_in_session(session: Session, name: str, *, actor: str, role: str) -> int:
    check_name(name)
    found = session.execute(sa.select(Dataset.id).where(Dataset.name == name)).scalar_one_or_none()
    if found is not None:
        return found
    row = Dataset(name=name, created_by=actor)
    session.add(row)
    session.flush()
    append_event(session, actor=actor, role=role, action="dataset.create", entity=f"dataset:{row.id}",
                 details={"name": name})
    return int(row.id)


def to_ref(video: Video, dataset: str) -> VideoRef:
    return VideoRef(id=int(video.id), dataset=dataset, sha256=video.sha256, n_frames=video.n_frames,
                    width=video.width, height=video.height, fps=video.fps)


def find_video_in_session(session: Session, dataset: str, sha256: str) -> VideoRef | None:
    row = session.execute(
        sa.select(Video).join(Dataset, Dataset.id == Video.dataset_id)
        .where(Dataset.name == dataset, Video.sha256 == sha256)
    ).scalar_one_or_none()
    return None if row is None else to_ref(row, dataset)


def _check_new_video(video: NewVideo) -> None:
    check_name(video.dataset)
    check_sha256(video.sha256, what="video sha256")
    if video.n_frames < 1:
        raise InvalidInputError("a video needs at least one stored frame")
    if video.width < 1 or video.height < 1:
        raise InvalidInputError(f"invalid frame size {video.width}x{video.height}")
    if not (video.fps > 0 and video.source_fps > 0 and video.sampling_stride > 0):
        raise InvalidInputError("fps, source_fps and sampling_stride must be positive")
    if video.source_frame_indices and len(video.source_frame_indices) != video.n_frames:
        raise InvalidInputError("source_frame_indices must hold one source index per stored frame")


def register_video_in_session(session: Session, video: NewVideo, *, actor: str, role: str) -> VideoRef:
    _check_new_video(video)
    ds_id = ensure_dataset_in_session(session, video.dataset, actor=actor, role=role)
    if find_video_in_session(session, video.dataset, video.sha256) is not None:
        raise ConflictError(f"video {video.sha256[:12]}... is already ingested in dataset {video.dataset!r}")
    row = Video(
        dataset_id=ds_id, sha256=video.sha256, frames_prefix=f"videos/{video.sha256}/frames/",
        n_frames=video.n_frames, width=video.width, height=video.height, fps=video.fps,
        source_fps=video.source_fps, sampling_stride=video.sampling_stride, codec=video.codec,
        source_frame_indices=json.dumps([int(i) for i in video.source_frame_indices]), created_by=actor,
    )
    session.add(row)
    session.flush()
    append_event(session, actor=actor, role=role, action="video.register", entity=f"video:{row.id}",
                 details={"dataset": video.dataset, "sha256": video.sha256, "n_frames": video.n_frames,
                          "width": video.width, "height": video.height, "fps": video.fps,
                          "codec": video.codec})
    return to_ref(row, video.dataset)


def get_video_in_session(session: Session, video_id: int) -> VideoRef:
    row = session.execute(
        sa.select(Video, Dataset.name).join(Dataset, Dataset.id == Video.dataset_id).where(Video.id == int(video_id))
    ).first()
    if row is None:
        raise NotFoundError(f"video {video_id} not found; `maskloop lineage dataset NAME@N` lists video ids")
    return to_ref(row[0], row[1])


def list_videos_in_session(session: Session, dataset: str) -> list[VideoRef]:
    ds_id = dataset_id(session, dataset)
    rows = session.execute(sa.select(Video).where(Video.dataset_id == ds_id).order_by(Video.id)).scalars()
    return [to_ref(v, dataset) for v in rows]


def ensure_dataset(catalog: Catalog, name: str, *, actor: str, role: str) -> int:
    return catalog.write(f"creating dataset {name!r}", actor, role,
                         lambda s: ensure_dataset_in_session(s, name, actor=actor, role=role), retries=3)


def find_video(catalog: Catalog, dataset: str, sha256: str) -> VideoRef | None:
    with catalog.session("looking up a video") as s:
        return find_video_in_session(s, dataset, sha256)


def register_video(catalog: Catalog, video: NewVideo, *, actor: str, role: str) -> VideoRef:
    """Register a de-identified video; ConflictError if (dataset, sha256) already exists."""
    return catalog.write(f"registering video {video.sha256[:12]}", actor, role,
                         lambda s: register_video_in_session(s, video, actor=actor, role=role), retries=3)


def get_video(catalog: Catalog, video_id: int) -> VideoRef:
    with catalog.session(f"reading video {video_id}") as s:
        return get_video_in_session(s, video_id)


def list_videos(catalog: Catalog, dataset: str) -> list[VideoRef]:
    with catalog.session(f"listing videos of {dataset!r}") as s:
        return list_videos_in_session(s, dataset)
