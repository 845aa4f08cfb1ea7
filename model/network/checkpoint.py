"""Checkpoint files: maskloop's own (architecture inside) and official SAM 2 ones.

Our format: ``torch.save({"format": "maskloop-sam2", "arch": ArchSpec dict, "model": state_dict,
"optimizer": ..., "step": int, "extra": {...}})``. The official format is ``{"model": state_dict}``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from model.errors import InvalidInputError, NotFoundError
from model.network.architecture import ArchSpec

FORMAT = "maskloop-sam2"


def read_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint file (either format) as a dict on CPU."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"checkpoint file {path} does not exist; give the path of a .pt file")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise InvalidInputError(
            f"{path} is not a readable torch checkpoint ({exc}); pass a file saved by maskloop "
            "train or an official SAM 2 checkpoint"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("model"), dict):
        raise InvalidInputError(
            f"{path} has no 'model' state dict; pass a maskloop or official SAM 2 checkpoint"
        )
    return data


def is_ours(data: dict[str, Any]) -> bool:
    """Whether ``data`` (from :func:`read_checkpoint`) was written by maskloop's trainer."""
    return data.get("format") == FORMAT


def write_checkpoint(
    path: Path,
    *,
    arch: ArchSpec,
    model_state: dict[str, torch.Tensor],
    step: int = 0,
    optimizer_state: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write a maskloop checkpoint atomically (temp file + rename); returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {
        "format": FORMAT,
        "arch": arch.to_dict(),
        "model": {k: v.detach().cpu() for k, v in model_state.items()},
        "step": int(step),
        "optimizer": optimizer_state,
        "extra": extra or {},
    }
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)
    return path


def arch_of(data: dict[str, Any], *, source: str, expected: ArchSpec | None = None) -> ArchSpec:
    """The architecture stored in our checkpoint; refuses one that differs from ``expected``."""
    if not is_ours(data):
        raise InvalidInputError(
            f"{source} is not a maskloop checkpoint (no architecture record); load official "
            "files with sam2:<tiny|small|base+|large>:PATH"
        )
    arch = ArchSpec.from_dict(data.get("arch"))
    if expected is not None and arch != expected:
        differ = sorted(set(arch.overrides) ^ set(expected.overrides))
        detail = f" (overrides differ: {', '.join(differ[:4])})" if arch.name == expected.name else ""
        raise InvalidInputError(
            f"{source} holds architecture {arch.name!r} but {expected.name!r} was asked for{detail}; "
            f"use a {expected.name} checkpoint or load this one by its path alone"
        )
    return arch
