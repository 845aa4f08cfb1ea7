"""Mapping of layer errors to one line on stderr and an exit code."""

from __future__ import annotations

import sys

from flows.errors import FlowError
from model.errors import ModelError
from storage.errors import StorageError
from ui_adapters.errors import ReviewUIError

KNOWN_ERRORS: tuple[type[Exception], ...] = (FlowError, StorageError, ModelError, ReviewUIError)


def report_error(exc: Exception) -> int:
    """Print ``error: <message>`` (first line only) and return the error's exit code."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    print(f"error: {message}", file=sys.stderr)
    return int(getattr(exc, "exit_code", 1))
