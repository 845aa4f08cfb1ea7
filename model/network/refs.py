"""Model references -> loaded networks.

``builtin:default``   the shipped lite0 weights (model/weights/default.pt, package data): the
                      ImageNet EfficientNet-Lite0 encoder + SAM 2 decoder + affinity memory;
``builtin:lite0``     lite0 with the ImageNet encoder and a random (seeded) decoder;
``builtin:tiny-cpu``  the old SAM 2 tiny-cpu architecture with random initialisation (seeded);
``sam2:<size>:<path>`` an official SAM 2.1 config (tiny, small, base+, large) + checkpoint file;
``<path>``            a checkpoint maskloop's trainer wrote (architecture read from the file).
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass
from pathlib import Path

import torch

from model.errors import InvalidInputError, NotFoundError
from model.network.architecture import ArchSpec, lite0, official, tiny_cpu
from model.network.builder import build_network, load_state
from model.network.checkpoint import arch_of, is_ours, read_checkpoint
from model.network.device import resolve_device

DEFAULT_WEIGHTS = ("model.weights", "default.pt")


@dataclass(frozen=True)
class LoadedModel:
    """A network ready for inference: ``network`` (SAM2Base, eval mode) on ``device``."""

    ref: str
    arch: ArchSpec
    network: torch.nn.Module
    device: torch.device


def default_weights_path() -> Path:
    """Filesystem path of the packaged default weights (may not exist in a source checkout)."""
    return Path(str(importlib.resources.files(DEFAULT_WEIGHTS[0]).joinpath(DEFAULT_WEIGHTS[1])))


def load_model(ref: str, *, device: str = "auto", seed: int = 0) -> LoadedModel:
    """Resolve ``ref`` (see module docstring) and return the loaded network on ``device``."""
    if not isinstance(ref, str) or not ref.strip():
        raise InvalidInputError("empty model reference; use builtin:default, builtin:tiny-cpu, "
                                "sam2:<size>:PATH or a checkpoint path")
    ref = ref.strip()
    if ref in ("builtin:tiny-cpu", "builtin:lite0"):
        torch.manual_seed(seed)
        arch = tiny_cpu() if ref == "builtin:tiny-cpu" else lite0()
        network = build_network(arch)
    elif ref == "builtin:default":
        path = default_weights_path()
        if not path.is_file():
            raise NotFoundError(
                "the shipped default weights are missing from this install (model/weights/"
                "default.pt); rebuild them with python -m model.train.default_weights or use "
                "--model builtin:lite0"
            )
        arch, network = _load_ours(path, source="builtin:default", expected=lite0())
    elif ref.startswith("builtin:"):
        raise NotFoundError(f"unknown builtin model {ref!r}; use builtin:default, builtin:lite0 "
                            "or builtin:tiny-cpu")
    elif ref.startswith("sam2:"):
        parts = ref.split(":", 2)
        if len(parts) != 3 or not parts[2]:
            raise InvalidInputError(
                f"bad reference {ref!r}; write sam2:<tiny|small|base+|large>:/path/to/checkpoint.pt"
            )
        arch = official(parts[1])
        data = read_checkpoint(Path(parts[2]))
        if is_ours(data):
            arch_of(data, source=parts[2], expected=arch)
        network = build_network(arch)
        load_state(network, data["model"], source=parts[2])
    else:
        arch, network = _load_ours(Path(ref), source=ref, expected=None)
    dev = resolve_device(device)
    return LoadedModel(ref=ref, arch=arch, network=network.to(dev).eval(), device=dev)


def _load_ours(path: Path, *, source: str, expected: ArchSpec | None) -> tuple[ArchSpec, torch.nn.Module]:
    data = read_checkpoint(path)
    if not is_ours(data):
        raise InvalidInputError(
            f"{source} looks like an official SAM 2 checkpoint (no architecture record); "
            f"load it with --model sam2:<tiny|small|base+|large>:{path}"
        )
    arch = arch_of(data, source=source, expected=expected)
    network = build_network(arch)
    load_state(network, data["model"], source=source)
    return arch, network
