"""Dataset versions on SQLite: commit deltas, nothing-to-commit, diff, splits, manifests, atomicity."""

from __future__ import annotations

import json
import threading

import pytest

from storage.audit.query import audit_events
from storage.catalog.catalog import Catalog
from storage.catalog.masklets import add_revision, set_masklet_status
from storage.catalog.synthetic import MemoryBlobs, add_masklets, fake_sha, new_video
from storage.catalog.videos import register_video
from storage.errors import InvalidInputError, NotFoundError
from storage.records import blob_key
from storage.versions.commit import NothingToCommitError, commit_version
from storage.versions.members import diff_versions, get_version, list_versions, version_members
from storage.versions.splits import split_for

WHO = {"actor": "alice", "role": "data_manager"}


@pytest.fixture()
def catalog(tmp_path):
    cat = Catalog.open(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    yield cat
    cat.close()


def _revise(catalog: Catalog, masklet_id: int, tag: str) -> int:
    sha = fake_sha(tag)
    return add_revision(catalog, masklet_id, blob_key=blob_key(sha), blob_sha256=sha, frame_indices=(0,),
                        scores=(1.0,), source="reviewer", **WHO)


def test_commit_takes_accepted_masklets_and_stores_a_delta(catalog: Catalog) -> None:
    video = register_video(catalog, new_video("d", "v"), **WHO)
    accepted = add_masklets(catalog, video.id, 3, status="accepted", tag="a", **WHO)
    proposed = add_masklets(catalog, video.id, 2, status="proposed", tag="p", **WHO)
    gt = add_masklets(catalog, video.id, 1, status="accepted", origin="ground_truth", tag="g", **WHO)
    blobs = MemoryBlobs()
    v1 = commit_version(catalog, "d", message="one", manifest_writer=blobs, **WHO)
    assert (v1.name, v1.number) == ("d@1", 1)
    members = version_members(catalog, "d@1")
    assert members["masklet_id"].tolist() == accepted + gt
    assert set(members["origin"]) == {"auto", "ground_truth"}
    assert not set(proposed) & set(members["masklet_id"])
    assert get_version(catalog, "d@1") == v1

    _revise(catalog, accepted[0], "fix")
    set_masklet_status(catalog, accepted[1], "rejected", **WHO)
    set_masklet_status(catalog, proposed[0], "accepted", **WHO)
    v2 = commit_version(catalog, "d", message="two", manifest_writer=blobs, **WHO)
    members2 = version_members(catalog, "d@2").set_index("masklet_id")
    assert sorted(members2.index) == sorted([accepted[0], accepted[2], proposed[0], *gt])
    assert members2.loc[accepted[0], "revision"] == 2
    versions = list_versions(catalog, "d")
    assert versions[["number", "n_added", "n_updated", "n_removed", "n_members"]].values.tolist() == [
        [1, 4, 0, 0, 4], [2, 1, 1, 1, 4]]

    lines = [json.loads(line) for line in blobs.blobs[v2.manifest_sha256].decode().splitlines()]
    assert lines[0]["format"] == "maskloop.manifest.delta/1"
    assert lines[0]["parent_manifest_sha256"] == v1.manifest_sha256
    assert {(x["op"], x["masklet_id"]) for x in lines[1:]} == {
        ("update", accepted[0]), ("remove", accepted[1]), ("add", proposed[0])}
    assert version_members(catalog, "d@1")["masklet_id"].tolist() == accepted + gt  # old version unchanged


def test_nothing_to_commit_makes_no_version(catalog: Catalog) -> None:
    video = register_video(catalog, new_video("d", "v"), **WHO)
    (mid,) = add_masklets(catalog, video.id, 1, status="proposed", **WHO)
    with pytest.raises(NothingToCommitError, match="nothing to commit"):
        commit_version(catalog, "d", message="empty", manifest_writer=MemoryBlobs(), **WHO)
    set_masklet_status(catalog, mid, "accepted", **WHO)
    set_masklet_status(catalog, mid, "in_review", **WHO)
    with pytest.raises(NothingToCommitError):
        commit_version(catalog, "d", message="flip-flop", manifest_writer=MemoryBlobs(), **WHO)
    assert list_versions(catalog, "d").empty


def test_diff_lists_added_removed_and_changed(catalog: Catalog) -> None:
    video = register_video(catalog, new_video("d", "v"), **WHO)
    a, b, _c = add_masklets(catalog, video.id, 3, status="accepted", **WHO)
    blobs = MemoryBlobs()
    commit_version(catalog, "d", message="1", manifest_writer=blobs, **WHO)
    _revise(catalog, a, "x")
    set_masklet_status(catalog, b, "needs_fix", **WHO)
    (d,) = add_masklets(catalog, video.id, 1, status="accepted", tag="new", **WHO)
    commit_version(catalog, "d", message="2", manifest_writer=blobs, **WHO)
    diff = diff_versions(catalog, "d@1", "d@2")
    assert diff[["masklet_id", "change"]].values.tolist() == [[a, "changed"], [b, "removed"], [d, "added"]]
    assert diff.loc[0, "revision_a"] == 1 and diff.loc[0, "revision_b"] == 2
    assert diff_versions(catalog, "d@2", "d@2").empty


def test_splits_are_deterministic_per_video_and_never_move(catalog: Catalog) -> None:
    videos = [register_video(catalog, new_video("d", f"v{i}"), **WHO) for i in range(30)]
    for v in videos:
        add_masklets(catalog, v.id, 2, status="accepted", **WHO)
    blobs = MemoryBlobs()
    commit_version(catalog, "d", message="1", manifest_writer=blobs, **WHO)
    members = version_members(catalog, "d@1")
    per_video = members.groupby("video_id")["split"].nunique()
    assert (per_video == 1).all()
    expected = {v.id: split_for(v.sha256) for v in videos}
    assert dict(zip(members["video_id"], members["split"])) == expected
    assert {"train", "val", "test"} >= set(members["split"]) and "train" in set(members["split"])
    # other fractions later do not move videos already placed
    add_masklets(catalog, videos[0].id, 1, status="accepted", tag="later", **WHO)
    commit_version(catalog, "d", message="2", manifest_writer=blobs, split_fractions=(0.0, 0.0, 1.0), **WHO)
    assert dict(zip(*version_members(catalog, "d@2")[["video_id", "split"]].T.values)) == expected
    with pytest.raises(InvalidInputError):
        commit_version(catalog, "d", message="3", manifest_writer=blobs, split_fractions=(0.5, 0.5, 0.5), **WHO)


def test_pinned_splits_place_new_videos_and_never_move_them(catalog: Catalog) -> None:
    videos = [register_video(catalog, new_video("d", f"v{i}"), **WHO) for i in range(6)]
    for v in videos:
        add_masklets(catalog, v.id, 1, status="accepted", origin="ground_truth", **WHO)
    pins = {videos[0].id: "val", videos[1].id: "val", **{v.id: "train" for v in videos[2:5]}}
    blobs = MemoryBlobs()
    with pytest.raises(InvalidInputError, match="unknown split 'holdout'"):
        commit_version(catalog, "d", message="bad", manifest_writer=blobs, pinned_splits={videos[0].id: "holdout"},
                       **WHO)
    commit_version(catalog, "d", message="1", manifest_writer=blobs, pinned_splits=pins, **WHO)
    splits = dict(zip(*version_members(catalog, "d@1")[["video_id", "split"]].T.values))
    assert splits == {**pins, videos[5].id: split_for(videos[5].sha256)}  # unpinned: from its sha256
    add_masklets(catalog, videos[0].id, 1, status="accepted", tag="later", **WHO)
    with pytest.raises(InvalidInputError, match="never moves"):
        commit_version(catalog, "d", message="2", manifest_writer=blobs, pinned_splits={videos[0].id: "train"}, **WHO)
    commit_version(catalog, "d", message="2", manifest_writer=blobs, pinned_splits={videos[0].id: "val"}, **WHO)
    assert set(version_members(catalog, "d@2").query(f"video_id == {videos[0].id}")["split"]) == {"val"}


def test_a_failing_manifest_write_leaves_no_partial_version(catalog: Catalog) -> None:
    video = register_video(catalog, new_video("d", "v"), **WHO)
    add_masklets(catalog, video.id, 2, status="accepted", **WHO)

    def broken(_data: bytes) -> tuple[str, str]:
        raise OSError("disk full")

    with pytest.raises(OSError):
        commit_version(catalog, "d", message="1", manifest_writer=broken, **WHO)
    assert list_versions(catalog, "d").empty
    assert audit_events(catalog, action="version.commit").empty
    ref = commit_version(catalog, "d", message="1", manifest_writer=MemoryBlobs(), **WHO)
    assert ref.number == 1 and len(version_members(catalog, "d@1")) == 2


def test_concurrent_commits_on_sqlite_number_consecutively_and_lose_nothing(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    with Catalog.open(url) as cat:
        video = register_video(cat, new_video("d", "v"), **WHO)
    made, errors = [], []

    def worker(i: int) -> None:
        with Catalog.open(url) as cat:
            add_masklets(cat, video.id, 1, status="accepted", tag=f"t{i}", **WHO)
            try:
                made.append(commit_version(cat, "d", message=f"c{i}", manifest_writer=MemoryBlobs(), **WHO).number)
            except NothingToCommitError:
                pass
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(made) == list(range(1, len(made) + 1))
    with Catalog.open(url) as cat:
        assert len(version_members(cat, f"d@{max(made)}")) == 8


def test_bad_refs(catalog: Catalog) -> None:
    for bad in ("d", "d@", "d@0", "d@-1", "@1", "d@1@2", "d@x"):
        with pytest.raises(InvalidInputError):
            get_version(catalog, bad)
    with pytest.raises(NotFoundError):
        get_version(catalog, "d@1")
    with pytest.raises(NotFoundError):
        commit_version(catalog, "nope", message="x", manifest_writer=MemoryBlobs(), **WHO)
    video = register_video(catalog, new_video("d", "v"), **WHO)
    add_masklets(catalog, video.id, 1, status="accepted", **WHO)
    with pytest.raises(InvalidInputError):
        commit_version(catalog, "d", message="  ", manifest_writer=MemoryBlobs(), **WHO)
