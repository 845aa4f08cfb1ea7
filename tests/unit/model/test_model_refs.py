"""Model references, building and checkpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from model.errors import InvalidInputError, NotFoundError
from model.network.architecture import official, tiny_cpu
from model.network.builder import build_network, parameter_count
from model.network.checkpoint import read_checkpoint, write_checkpoint
from model.network.device import autocast_for, resolve_device
from model.network.refs import load_model


def test_tiny_cpu_has_the_designed_size(tiny) -> None:
    net = tiny.network
    assert net.image_size == 256
    assert 2.2e6 < parameter_count(net) < 2.4e6
    assert net.hidden_dim == 64 and net.mem_dim == 32
    assert net.image_encoder.trunk.blocks[0].dim == 32
    assert len(net.memory_attention.layers) == 1
    assert tiny.device.type == "cpu"


def test_builtin_tiny_cpu_is_seeded() -> None:
    a = load_model("builtin:tiny-cpu", seed=3).network.state_dict()
    b = load_model("builtin:tiny-cpu", seed=3).network.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_checkpoint_round_trip(tiny, tmp_path: Path, clip) -> None:
    path = write_checkpoint(tmp_path / "m.pt", arch=tiny.arch, model_state=tiny.network.state_dict(), step=7)
    data = read_checkpoint(path)
    assert data["step"] == 7 and data["arch"]["name"] == "tiny-cpu"
    loaded = load_model(str(path))
    assert loaded.arch == tiny_cpu()
    x = torch.zeros(1, 3, 256, 256)
    with torch.no_grad():
        a = tiny.network.forward_image(x)["vision_features"]
        b = loaded.network.forward_image(x)["vision_features"]
    assert torch.equal(a, b)


def test_checkpoint_of_another_architecture_is_refused(tiny, tmp_path: Path) -> None:
    path = write_checkpoint(tmp_path / "m.pt", arch=tiny.arch, model_state=tiny.network.state_dict())
    with pytest.raises(InvalidInputError, match="tiny-cpu"):
        load_model(f"sam2:tiny:{path}")


def test_official_file_needs_the_sam2_reference(tiny, tmp_path: Path) -> None:
    path = tmp_path / "official.pt"
    torch.save({"model": tiny.network.state_dict()}, path)
    with pytest.raises(InvalidInputError, match="sam2:<tiny"):
        load_model(str(path))
    with pytest.raises(InvalidInputError, match="does not fit"):
        load_model(f"sam2:tiny:{path}")  # tiny-cpu weights do not fit the official tiny


def test_bad_references() -> None:
    with pytest.raises(NotFoundError):
        load_model("builtin:nope")
    with pytest.raises(NotFoundError):
        load_model("/no/such/file.pt")
    with pytest.raises(InvalidInputError):
        load_model("sam2:huge:/x.pt")
    with pytest.raises(InvalidInputError):
        load_model("sam2:tiny")
    with pytest.raises(InvalidInputError):
        load_model("")


def test_official_arch_builds_with_random_weights() -> None:
    net = build_network(official("tiny"))
    assert net.image_size == 1024 and net.hidden_dim == 256


def test_device_choice() -> None:
    assert resolve_device("cpu").type == "cpu"
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    with pytest.raises(InvalidInputError):
        resolve_device("gpu0")
    with autocast_for(torch.device("cpu")):
        assert torch.ones(1).dtype == torch.float32


def test_non_checkpoint_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pt"
    bad.write_bytes(np.arange(10, dtype=np.uint8).tobytes())
    with pytest.raises(InvalidInputError):
        load_model(str(bad))
