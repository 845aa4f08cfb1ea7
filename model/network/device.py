"""Device choice and mixed precision: CUDA with bf16 autocast when present, else CPU float32."""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager

import torch

from model.errors import InvalidInputError, UnavailableError


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` -> CUDA when available else CPU; ``cpu``/``cuda``/``cuda:N`` as given."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise InvalidInputError(f"unknown device {name!r}; use auto, cpu or cuda[:N]") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise UnavailableError(f"device {name!r} asked for but CUDA is not available; use cpu or auto")
    return device


def autocast_for(device: torch.device) -> AbstractContextManager[object]:
    """bf16 autocast on CUDA; a no-op context on CPU (float32 everywhere)."""
    if device.type == "cuda":
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()
