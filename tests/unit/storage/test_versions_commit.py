"""Dataset versions on SQLite: commit deltas, nothing-to-commit, diff, splits, manifests, atomicity."""

from __future__ import annotations

import json
import threading

import pytest

from storage.catalog.catalog import Catalog, NothingToCommitError
from storage.catalog.synthetic import MemoryBlobs, add_masklets, fake_sha, new_video
from storage.errors import InvalidInputError, NotFoundError
from storage.records import blob_key
from storage.versions.splits import split_for

WHO = {"actor": "alice", "role": "data_manager"}


@pytest.fixture()
def catalog(tmp_path):
    cat = Catalog.open(f"sqlite:///{tmp_path / 'catalog.sqlite'}")
    yield cat
    cat.close()


def _revise(catalog: Catalog, masklet_id: int, tag: str) -> int:
    sha = fake_sha(tag)
    return catalog.add_revision(masklet_id, blob_key=blob_key(sha), blob_sha256=sha, frame_indices=(0,),
                                scores=(1.0,), source="reviewer", **WHO)


def test_commit_takes_accepted_masklets_and_stores_a_delta(catalog: Catalog) -> None:
    video = catalog.register_video(new_video("d", "v"), **WHO)
    accepted = add_masklets(catalog, video.id, 3, status="accepted", tag="a", **WHO)
    proposed = add_masklets(catalog, video.id, 2, status="proposed", tag="p", **WHO)
    gt = add_masklets(catalog, video.id, 1, status="accepted", origin="ground_truth", tag="g", **WHO)
    blobs = MemoryBlobs()
    v1 = catalog.commit_version("d", message="one", manifest_writer=blobs, **WHO)
    assert (v1.name, v1.number) == ("d@1", 1)
    members = catalog.version_members("d@1")
    assert members["masklet_id"].tolist() == accepted + gt
    assert set(members["origin"]) == {"auto", "ground_truth"}
    assert not set(proposed) & set(members["masklet_id"])
    assert catalog.get_version("d@1") == v1

    _revise(catalog, accepted[0], "fix")
    catalog.set_masklet_status(accepted[1], "rejected", **WHO)
    catalog.set_masklet_status(proposed[0], "accepted", **WHO)
    v2 = catalog.commit_version("d", message="two", manifest_writer=blobs, **WHO)
    members2 = catalog.version_members("d@2").set_index("masklet_id")
    assert sorted(members2.index) == sorted([accepted[0], accepted[2], proposed[0], *gt])
    assert members2.loc[accepted[0], "revision"] == 2
    versions = catalog.list_versions("d")
    assert versions[["number", "n_added", "n_updated", "n_removed", "n_members"]].values.tolist() == [
        [1, 4, 0, 0, 4], [2, 1, 1, 1, 4]]

    lines = [json.loads(line) for line in blobs.blobs[v2.manifest_sha256].decode().splitlines()]
    assert lines[0]["format"] == "maskloop.manifest.delta/1"
    assert lines[0]["parent_manifest_sha256"] == v1.manifest_sha256
    assert {(x["op"], x["masklet_id"]) for x in lines[1:]} == {
        ("update", accepted[0]), ("remove", accepted[1]), ("add", proposed[0])}
    assert catalog.version_members("d@1")["masklet_id"].tolist() == accepted + gt  # old version unchanged


def test_nothing_to_commit_makes_no_version(catalog: Catalog) -> None:
    video = catalog.register_video(new_video("d", "v"), **WHO)
    (mid,) = add_masklets(catalog, video.id, 1, status="proposed", **WHO)
    with pytest.raises(NothingToCommitError, match="nothing to commit"):
        catalog.commit_version("d", message="empty", manifest_writer=MemoryBlobs(), **WHO)
    catalog.set_masklet_status(mid, "accepted", **WHO)
    catalog.set_masklet_status(mid, "in_review", **WHO)
    with pytest.raises(NothingToCommitError):
        catalog.commit_version("d", message="flip-flop", manifest_writer=MemoryBlobs(), **WHO)
    assert catalog.list_versions("d").empty


def test_diff_lists_added_removed_and_changed(catalog: Catalog) -> None:
    video = catalog.register_video(new_video("d", "v"), **WHO)
    a, b, _c = add_masklets(catalog, video.id, 3, status="accepted", **WHO)
    blobs = MemoryBlobs()
    catalog.commit_version("d", message="1", manifest_writer=blobs, **WHO)
    _revise(catalog, a, "x")
    catalog.set_masklet_status(b, "needs_fix", **WHO)
    (d,) = add_masklets(catalog, video.id, 1, status="accepted", tag="new", **WHO)
    catalog.commit_version("d", message="2", manifest_writer=blobs, **WHO)
    diff = catalog.diff_versions("d@1", "d@2")
    assert diff[["masklet_id", "change"]].values.tolist() == [[a, "changed"], [b, "removed"], [d, "added"]]
    assert diff.loc[0, "revision_a"] == 1 and diff.loc[0, "revision_b"] == 2
    assert catalog.diff_versions("d@2", "d@2").empty


def test_splits_are_deterministic_per_video_and_never_move(catalog: Catalog) -> None:
    videos = [catalog.register_video(new_video("d", f"v{i}"), **WHO) for i in range(30)]
    for v in videos:
        add_masklets(catalog, v.id, 2, status="accepted", **WHO)
    blobs = MemoryBlobs()
    catalog.commit_version("d", message="1", manifest_writer=blobs, **WHO)
    members = catalog.version_members("d@1")
    per_video = members.groupby("video_id")["split"].nunique()
    assert (per_video == 1).all()
    expected = {v.id: split_for(v.sha256) for v in videos}
    assert dict(zip(members["video_id"], members["split"])) == expected
    assert {"train", "val", "test"} >= set(members["split"]) and "train" in set(members["split"])
    # other fractions later do not move videos already placed
    add_masklets(catalog, videos[0].id, 1, status="accepted", tag="later", **WHO)
    catalog.commit_version("d", message="2", manifest_writer=blobs, split_fractions=(0.0, 0.0, 1.0), **WHO)
    assert dict(zip(*catalog.version_members("d@2")[["video_id", "split"]].T.values)) == expected
    with pytest.raises(InvalidInputError):
        catalog.commit_version("d", message="3", manifest_writer=blobs, split_fractions=(0.5, 0.5, 0.5), **WHO)


def test_pinned_splits_place_new_videos_and_never_move_them(catalog: Catalog) -> None:
    videos = [catalog.register_video(new_video("d", f"v{i}"), **WHO) for i in range(6)]
    for v in videos:
        add_masklets(catalog, v.id, 1, status="accepted", origin="ground_truth", **WHO)
    pins = {videos[0].id: "val", videos[1].id: "val", **{v.id: "train" for v in videos[2:5]}}
    blobs = MemoryBlobs()
    with pytest.raises(InvalidInputError, match="unknown split 'holdout'"):
        catalog.commit_version("d", message="bad", manifest_writer=blobs, pinned_splits={videos[0].id: "holdout"},
                               **WHO)
    catalog.commit_version("d", message="1", manifest_writer=blobs, pinned_splits=pins, **WHO)
    splits = dict(zip(*catalog.version_members("d@1")[["video_id", "split"]].T.values))
    assert splits == {**pins, videos[5].id: split_for(videos[5].sha256)}  # unpinned: from its sha256
    add_masklets(catalog, videos[0].id, 1, status="accepted", tag="later", **WHO)
    with pytest.raises(InvalidInputError, match="never moves"):
        catalog.commit_version("d", message="2", manifest_writer=blobs, pinned_splits={videos[0].id: "train"}, **WHO)
    catalog.commit_version("d", message="2", manifest_writer=blobs, pinned_splits={videos[0].id: "val"}, **WHO)
    assert set(catalog.version_members("d@2").query(f"video_id == {videos[0].id}")["split"]) == {"val"}


def test_a_failing_manifest_write_leaves_no_partial_version(catalog: Catalog) -> None:
    video = catalog.register_video(new_video("d", "v"), **WHO)
    add_masklets(catalog, video.id, 2, status="accepted", **WHO)

    def broken(_data: bytes) -> tuple[str, str]:
        raise OSError("disk full")

    with pytest.raises(OSError):
        catalog.commit_version("d", message="1", manifest_writer=broken, **WHO)
    assert catalog.list_versions("d").empty
    assert catalog.audit_events(action="version.commit").empty
    ref = catalog.commit_version("d", message="1", manifest_writer=MemoryBlobs(), **WHO)
    assert ref.number == 1 and len(catalog.version_members("d@1")) == 2


def test_concurrent_commits_on_sqlite_number_consecutively_and_lose_nothing(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    with Catalog.open(url) as cat:
        video = cat.register_video(new_video("d", "v"), **WHO)
    made, errors = [], []

    def worker(i: int) -> None:
        with Catalog.open(url) as cat:
            add_masklets(cat, video.id, 1, status="accepted", tag=f"t{i}", **WHO)
            try:
                made.append(cat.commit_version("d", message=f"c{i}", manifest_writer=MemoryBlobs(), **WHO).number)
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
        assert len(cat.version_members(f"d@{max(made)}")) == 8


def test_bad_refs(catalog: Catalog) -> None:
    for bad in ("d", "d@", "d@0", "d@-1", "@1", "d@1@2", "d@x"):
        with pytest.raises(InvalidInputError):
            catalog.get_version(bad)
    with pytest.raises(NotFoundError):
        catalog.get_version("d@1")
    with pytest.raises(NotFoundError):
        catalog.commit_version("nope", message="x", manifest_writer=MemoryBlobs(), **WHO)
    video = catalog.register_video(new_video("d", "v"), **WHO)
    add_masklets(catalog, video.id, 1, status="accepted", **WHO)
    with pytest.raises(InvalidInputError):
        catalog.commit_version("d", message="  ", manifest_writer=MemoryBlobs(), **WHO)
