"""Fixtures of the cycle unit tests: embedded settings under tmp_path and a small ingested dataset.

``cycle_ws``: an open Workspace (SQLite catalog, LocalStore, MLflow on SQLite) holding dataset
``ds`` with 2 training videos and 1 validation video (generated, 64 px, 4 frames, ground truth
imported). The model used is ``builtin:tiny-cpu`` (random weights, fast); tests that need a
round register it directly in the catalog, so no MLflow is touched unless a test asks for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from cycle_helpers import DATASET, embedded_settings

from flows.cycle.workspace import Workspace, open_workspace


@pytest.fixture(scope="session", autouse=True)
def _threads() -> None:
    torch.set_num_threads(2)


@pytest.fixture(scope="session")
def demo_videos(tmp_path_factory: pytest.TempPathFactory) -> list:
    from flows.programs.demo_data import make_demo_videos

    return make_demo_videos(tmp_path_factory.mktemp("videos"), n_train=2, n_val=1, n_frames=4, size=64)


@pytest.fixture()
def cycle_ws(tmp_path: Path, demo_videos: list) -> Iterator[Workspace]:
    from flows.cycle.ingest import ingest_one

    with open_workspace(embedded_settings(tmp_path / "home")) as ws:
        for video in demo_videos:
            ingest_one(ws, video.item(), dataset=DATASET)
        yield ws
