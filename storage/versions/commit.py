"""Committing a dataset version inside one transaction (atomic; O(changes)).

:func:`commit_version` takes the :class:`~storage.catalog.catalog.Catalog` (like every catalog
read and write) and runs :func:`commit_version_in_session` in one write transaction.

A version holds every ACCEPTED masklet at its current revision, whatever its origin (auto, manual,
ground_truth; importers store ground truth as accepted). Consumers filter by ``origin`` and
``split``: evaluation uses ground_truth members of the val split, training the train split.

Steps, in one transaction: lock the dataset row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite
holds the write lock from BEGIN IMMEDIATE), read the dirty masklets of the dataset (partial index,
rows locked in id order), compare each one's wanted revision with the one committed last, assign
splits to new videos (pinned ones as given, the others from their sha256), write the delta
manifest through ``manifest_writer``, insert the version, its change rows and split rows, clear
the dirty flags, append the audit event.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from storage.audit.chain import canonical_json
from storage.audit.trail import append_event
from storage.catalog.catalog import Catalog
from storage.catalog.tables import (
    SPLITS,
    Dataset,
    DatasetVersion,
    DatasetVersionChange,
    Masklet,
    MaskletRevision,
    Video,
    VideoSplit,
)
from storage.errors import ConflictError, InvalidInputError, NotFoundError
from storage.records import DatasetVersionRef, MaskletStatus
from storage.versions.manifest import delta_manifest
from storage.versions.splits import check_fractions, split_for

ManifestWriter = Callable[[bytes], tuple[str, str]]


class NothingToCommitError(ConflictError):
    """No accepted masklet changed since the dataset's newest version; no version was made."""


@dataclass(frozen=True)
class _Change:
    masklet_id: int
    op: str  # add | update | remove
    rev: int  # revision entering (add/update) or leaving (remove) the dataset
    new_committed: int | None


def _lock_dataset(session: Session, dataset: str) -> int:
    query = sa.select(Dataset.id).where(Dataset.name == dataset).with_for_update()
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"dataset {dataset!r} not found; ingest or import videos into it first")
    return int(found)


def _pending_changes(session: Session, ds_id: int) -> tuple[list[_Change], list[int]]:
    """Changes wanted by the dirty masklets of the dataset, and the ids of all dirty masklets."""
    rows = session.execute(
        sa.select(Masklet.id, Masklet.status, Masklet.current_revision, Masklet.committed_revision)
        .join(Video, Video.id == Masklet.video_id)
        .where(Masklet.dirty == sa.true(), Video.dataset_id == ds_id)
        .order_by(Masklet.id)
        .with_for_update(of=Masklet)
    ).all()
    changes: list[_Change] = []
    for masklet_id, status, current, committed in rows:
        wanted = current if status == MaskletStatus.ACCEPTED else None
        if wanted == committed:
            continue
        if committed is None:
            changes.append(_Change(masklet_id, "add", wanted, wanted))
        elif wanted is None:
            changes.append(_Change(masklet_id, "remove", committed, None))
        else:
            changes.append(_Change(masklet_id, "update", wanted, wanted))
    return changes, [int(r[0]) for r in rows]


def _change_details(session: Session, changes: list[_Change]) -> dict[int, dict]:
    """masklet id -> revision id, blob, video and origin of the revision each change refers to."""
    details: dict[int, dict] = {}
    pairs = [(c.masklet_id, c.rev) for c in changes]
    for start in range(0, len(pairs), 500):
        chunk = pairs[start:start + 500]
        rows = session.execute(
            sa.select(MaskletRevision.id, MaskletRevision.masklet_id, MaskletRevision.rev, MaskletRevision.blob_key,
                      MaskletRevision.blob_sha256, Masklet.video_id, Masklet.origin, Video.sha256)
            .join(Masklet, Masklet.id == MaskletRevision.masklet_id)
            .join(Video, Video.id == Masklet.video_id)
            .where(sa.tuple_(MaskletRevision.masklet_id, MaskletRevision.rev).in_(chunk))
        ).all()
        for rev_id, masklet_id, rev, key, sha, video_id, origin, video_sha in rows:
            details[int(masklet_id)] = {"revision_id": int(rev_id), "revision": int(rev), "blob_key": key,
                                        "blob_sha256": sha, "video_id": int(video_id), "origin": origin,
                                        "video_sha256": video_sha}
    return details


def _splits(session: Session, details: dict[int, dict], fractions: tuple[float, float, float],
            pinned: Mapping[int, str] | None = None) -> tuple[dict[int, str], dict[int, str]]:
    """(split of every video involved, the subset that is new and must be stored).

    ``pinned`` (video id -> split) places new videos explicitly; a pin that contradicts a split
    already stored is an InvalidInputError (a video never moves between splits)."""
    video_sha = {d["video_id"]: d["video_sha256"] for d in details.values()}
    known: dict[int, str] = {}
    ids = sorted(video_sha)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            sa.select(VideoSplit.video_id, VideoSplit.split).where(VideoSplit.video_id.in_(ids[start:start + 500]))
        ).all()
        known.update({int(v): s for v, s in rows})
    pinned = dict(pinned or {})
    moved = sorted(v for v, split in pinned.items() if v in known and known[v] != split)
    if moved:
        raise InvalidInputError(f"video {moved[0]} is already in the {known[moved[0]]!r} split; "
                                "a video never moves between splits")
    new = {v: pinned.get(v) or split_for(sha, fractions) for v, sha in video_sha.items() if v not in known}
    return {**known, **new}, new


def _composition(parent: DatasetVersion | None, changes: list[_Change], details: dict[int, dict],
                 split_of: dict[int, str]) -> dict[str, dict[str, int]]:
    """Member counts {split: {origin: n}} of the new version: the parent's plus this delta."""
    counts: dict[str, dict[str, int]] = json.loads(parent.composition) if parent is not None else {}
    for change in changes:
        if change.op == "update":
            continue
        d = details[change.masklet_id]
        cell = counts.setdefault(split_of[d["video_id"]], {})
        cell[d["origin"]] = cell.get(d["origin"], 0) + (1 if change.op == "add" else -1)
    return {s: {o: n for o, n in sorted(c.items()) if n} for s, c in sorted(counts.items()) if any(c.values())}


def commit_version_in_session(session: Session, dataset: str, *, message: str, actor: str, role: str,
                              manifest_writer: ManifestWriter,
                              split_fractions: tuple[float, float, float],
                              pinned_splits: Mapping[int, str] | None = None) -> DatasetVersionRef | None:
    """Commit version N+1 of ``dataset``; None when nothing changed since the parent (no version made).

    ``pinned_splits`` (video id -> ``train``/``val``/``test``) fixes the split of videos entering
    a version for the first time instead of deriving it from their sha256 (a held-out split chosen
    by name, e.g. ``maskloop bench engine``)."""
    fractions = check_fractions(split_fractions)
    bad = sorted({s for s in (pinned_splits or {}).values() if s not in SPLITS})
    if bad:
        raise InvalidInputError(f"unknown split {bad[0]!r}: use one of {', '.join(SPLITS)}")
    if not message or not message.strip():
        raise InvalidInputError("a commit message is required (-m MESSAGE)")
    if "\x00" in message:  # checked before the manifest is written: PostgreSQL text cannot hold NUL
        raise InvalidInputError("a commit message cannot contain NUL (0x00) characters")
    ds_id = _lock_dataset(session, dataset)
    parent = session.execute(
        sa.select(DatasetVersion).where(DatasetVersion.dataset_id == ds_id)
        .order_by(DatasetVersion.number.desc()).limit(1)
    ).scalar_one_or_none()
    changes, dirty_ids = _pending_changes(session, ds_id)
    if not changes:
        for start in range(0, len(dirty_ids), 1000):
            session.execute(sa.update(Masklet).where(Masklet.id.in_(dirty_ids[start:start + 1000])).values(dirty=False))
        return None
    details = _change_details(session, changes)
    split_of, new_splits = _splits(session, details, fractions, pinned_splits)
    counts = {op: sum(1 for c in changes if c.op == op) for op in ("add", "update", "remove")}
    number = 1 if parent is None else parent.number + 1
    n_members = (0 if parent is None else parent.n_members) + counts["add"] - counts["remove"]
    header = {"dataset": dataset, "number": number, "parent_number": None if parent is None else parent.number,
              "parent_manifest_sha256": None if parent is None else parent.manifest_sha256,
              "message": message, "created_by": actor, "n_members": n_members, "n_added": counts["add"],
              "n_updated": counts["update"], "n_removed": counts["remove"]}
    lines = []
    for change in changes:
        d = details[change.masklet_id]
        lines.append({"op": change.op, "masklet_id": change.masklet_id, **d, "split": split_of[d["video_id"]]})
    composition = _composition(parent, changes, details, split_of)
    header["composition"] = composition
    manifest_key, manifest_sha = manifest_writer(delta_manifest(header, lines))
    version = DatasetVersion(dataset_id=ds_id, number=number, parent_id=None if parent is None else parent.id,
                             manifest_key=manifest_key, manifest_sha256=manifest_sha, n_members=n_members,
                             n_added=counts["add"], n_updated=counts["update"], n_removed=counts["remove"],
                             composition=canonical_json(composition), message=message, created_by=actor)
    session.add(version)
    session.flush()
    session.execute(sa.insert(DatasetVersionChange), [
        {"version_id": version.id, "masklet_id": c.masklet_id, "revision_id": details[c.masklet_id]["revision_id"],
         "op": c.op} for c in changes])
    if new_splits:
        session.execute(sa.insert(VideoSplit), [
            {"video_id": v, "split": s, "version_id": version.id} for v, s in sorted(new_splits.items())])
    by_committed: dict[int | None, list[int]] = {}
    for change in changes:
        by_committed.setdefault(change.new_committed, []).append(change.masklet_id)
    for committed, ids in by_committed.items():
        for start in range(0, len(ids), 1000):
            session.execute(sa.update(Masklet).where(Masklet.id.in_(ids[start:start + 1000]))
                            .values(committed_revision=committed, dirty=False))
    changed = {c.masklet_id for c in changes}
    unchanged = [i for i in dirty_ids if i not in changed]
    for start in range(0, len(unchanged), 1000):
        session.execute(sa.update(Masklet).where(Masklet.id.in_(unchanged[start:start + 1000])).values(dirty=False))
    append_event(session, actor=actor, role=role, action="version.commit", entity=f"dataset_version:{version.id}",
                 details={**header, "manifest_key": manifest_key, "manifest_sha256": manifest_sha})
    return DatasetVersionRef(dataset=dataset, number=number, manifest_key=manifest_key, manifest_sha256=manifest_sha)


def commit_version(catalog: Catalog, dataset: str, *, message: str, actor: str, role: str,
                   manifest_writer: Callable[[bytes], tuple[str, str]],
                   split_fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
                   pinned_splits: Mapping[int, str] | None = None) -> DatasetVersionRef:
    """Commit version N+1 (atomic). NothingToCommitError (a ConflictError) when nothing changed.

    ``manifest_writer(bytes) -> (key, sha256)`` stores the delta manifest (object store put_blob).
    ``pinned_splits`` (video id -> split) places videos new to the dataset's versions explicitly.
    """
    ref = catalog.write(f"committing dataset {dataset!r}", actor, role, lambda s: commit_version_in_session(
        s, dataset, message=message, actor=actor, role=role, manifest_writer=manifest_writer,
        split_fractions=split_fractions, pinned_splits=pinned_splits), retries=8)
    if ref is None:
        raise NothingToCommitError(f"nothing to commit: no accepted masklet of {dataset!r} changed since its newest version")
    return ref
