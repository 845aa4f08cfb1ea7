"""Lineage queries on SQLite over a small but complete history (storage.catalog.synthetic.build_scenario)."""

from __future__ import annotations

import json

import pytest

from storage.catalog.catalog import Catalog
from storage.catalog.synthetic import build_scenario
from storage.errors import InvalidInputError, NotFoundError
from storage.lineage.common import LINEAGE_COLUMNS
from storage.lineage.queries import (
    lineage_of_dataset,
    lineage_of_masklet,
    lineage_of_model,
    lineage_of_video,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    cat = Catalog.open(f"sqlite:///{tmp_path_factory.mktemp('lineage') / 'catalog.sqlite'}")
    scenario = build_scenario(cat)
    yield cat, scenario
    cat.close()


def _names(frame, relation: str) -> list[str]:
    return frame.loc[frame["relation"] == relation, "name"].tolist()


def test_masklet_provenance(world) -> None:
    cat, s = world
    masklet = s["masklets"][0]  # unsatisfactory first, corrected as revision 2, in both versions
    frame = lineage_of_masklet(cat, masklet)
    assert list(frame.columns) == LINEAGE_COLUMNS
    assert _names(frame, "generator_model") == ["seg@1"]
    assert _names(frame, "round") == [f"round {s['round_id']}"]
    assert _names(frame, "revision") == ["rev 1", "rev 2"]
    verdicts = [json.loads(d)["verdict"] for d in frame.loc[frame["relation"] == "review", "details"]]
    assert verdicts == ["unsatisfactory", "satisfactory"]
    assert _names(frame, "dataset_version") == ["demo@1", "demo@2"]
    assert sorted(_names(frame, "model")) == ["seg@2", "seg@3"]
    assert frame.loc[frame["relation"] == "video", "entity"].tolist() == [f"video:{s['videos'][0].id}"]


def test_removed_masklet_is_only_in_the_versions_that_held_it(world) -> None:
    cat, s = world
    frame = lineage_of_masklet(cat, s["masklets"][-1])  # rejected before version 2
    assert _names(frame, "dataset_version") == ["demo@1"]
    assert _names(frame, "model") == ["seg@2", "seg@3"]  # seg@3 is fine-tuned from seg@2


def test_video_impact_lists_everything_derived(world) -> None:
    cat, s = world
    video = s["videos"][0]
    frame = lineage_of_video(cat, video.id)
    assert frame.loc[frame["relation"] == "frames", "name"].tolist() == [f"videos/{video.sha256}/frames/"]
    assert len(_names(frame, "masklet")) == 3  # two auto + one ground truth
    blob_keys = [json.loads(d)["blob_key"] for d in frame.loc[frame["relation"] == "revision", "details"]]
    assert all(k.startswith("sha256/") for k in blob_keys) and len(blob_keys) == 5
    assert _names(frame, "dataset_version") == ["demo@1", "demo@2"]
    assert sorted(_names(frame, "model")) == ["seg@2", "seg@3"]
    assert len(_names(frame, "training_run")) == 2


def test_dataset_version_composition_reviewers_and_models(world) -> None:
    cat, _s = world
    frame = lineage_of_dataset(cat, "demo@1")
    assert len(_names(frame, "video")) == 3
    comp = {r: json.loads(d)["masklets"] for r, d in
            frame.loc[frame["relation"] == "composition", ["name", "details"]].values}
    assert comp == {"auto/satisfactory": 6, "ground_truth/unreviewed": 1}
    assert sorted(_names(frame, "reviewer")) == ["rev0", "rev1"]
    assert _names(frame, "model") == ["seg@2", "seg@3"]


def test_model_lineage_walks_base_models_recursively(world) -> None:
    cat, _s = world
    frame = lineage_of_model(cat, "seg@3")
    assert _names(frame, "model") == ["seg@3"]
    assert _names(frame, "base_model") == ["seg@2", "seg@1"]
    assert _names(frame, "dataset_version") == ["demo@2", "demo@1"]
    assert [json.loads(d)["status"] for d in frame.loc[frame["relation"] == "training_run", "details"]] == [
        "running", "finished"]
    comp = frame[frame["relation"] == "composition"]
    assert {json.loads(d)["origin"] for d in comp["details"]} == {"auto", "ground_truth"}


def test_unknown_subjects(world) -> None:
    cat, _s = world
    with pytest.raises(NotFoundError, match="masklet 9999"):
        lineage_of_masklet(cat, 9999)
    with pytest.raises(NotFoundError, match="video 9999"):
        lineage_of_video(cat, 9999)
    with pytest.raises(NotFoundError):
        lineage_of_dataset(cat, "demo@9")
    with pytest.raises(NotFoundError):
        lineage_of_model(cat, "seg@9")
    with pytest.raises(InvalidInputError):
        lineage_of_model(cat, "seg")
