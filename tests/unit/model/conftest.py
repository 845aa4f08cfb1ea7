"""Fixtures of the model unit tests: a seeded random tiny-cpu network and small generated clips."""

from __future__ import annotations

import pytest
import torch

from model.network.refs import LoadedModel, load_model
from model.synthetic.generator import SyntheticClip, generate_clip


@pytest.fixture(scope="session", autouse=True)
def _threads() -> None:
    torch.set_num_threads(2)


@pytest.fixture(scope="session")
def tiny() -> LoadedModel:
    return load_model("builtin:tiny-cpu", device="cpu", seed=0)


@pytest.fixture(scope="session")
def clip() -> SyntheticClip:
    return generate_clip(seed=5, n_frames=6, height=72, width=96, n_instruments=2)
