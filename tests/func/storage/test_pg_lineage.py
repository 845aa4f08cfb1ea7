"""Lineage queries (recursive CTEs) on PostgreSQL."""

from __future__ import annotations

import json

import pytest

from storage.catalog.catalog import Catalog
from storage.catalog.synthetic import build_scenario
from storage.lineage.queries import (
    lineage_of_dataset,
    lineage_of_masklet,
    lineage_of_model,
    lineage_of_video,
)


@pytest.fixture()
def world(pg_url):
    cat = Catalog.open(pg_url, auto_upgrade=True)
    yield cat, build_scenario(cat)
    cat.close()


def _names(frame, relation: str) -> list[str]:
    return frame.loc[frame["relation"] == relation, "name"].tolist()


def test_every_kind_of_lineage_on_postgres(world) -> None:
    cat, s = world
    masklet = lineage_of_masklet(cat, s["masklets"][0])
    assert _names(masklet, "revision") == ["rev 1", "rev 2"]
    assert _names(masklet, "dataset_version") == ["demo@1", "demo@2"]
    assert sorted(_names(masklet, "model")) == ["seg@2", "seg@3"]
    video = lineage_of_video(cat, s["videos"][0].id)
    assert len(_names(video, "masklet")) == 3 and sorted(_names(video, "model")) == ["seg@2", "seg@3"]
    dataset = lineage_of_dataset(cat, "demo@2")
    comp = {n: json.loads(d)["masklets"] for n, d in
            dataset.loc[dataset["relation"] == "composition", ["name", "details"]].values}
    assert comp == {"auto/satisfactory": 5, "ground_truth/unreviewed": 1}
    assert _names(dataset, "model") == ["seg@3"]
    model = lineage_of_model(cat, "seg@3")
    assert _names(model, "base_model") == ["seg@2", "seg@1"]
    assert _names(model, "dataset_version") == ["demo@2", "demo@1"]
