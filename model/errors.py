"""Errors of the model layer (networks, sessions, training and metrics).

Every error carries an ``exit_code`` the CLI maps to the process exit status, and a message that
says what went wrong and what to do; the CLI prints it as one line, never a traceback.
Exit codes are shared across layers: 1 failure, 2 invalid input, 3 not found, 4 conflict,
5 service unavailable. The model holds no stored state, so it has no conflict; each layer owns its
errors (model/, storage/ and ui_adapters/ never import each other) and the CLI
(flows/cli/errors.py) maps every layer's base to one error line.
"""

from __future__ import annotations


class ModelError(Exception):
    """Base of every model error."""

    exit_code: int = 1


class InvalidInputError(ModelError):
    """The caller passed something unusable (bad file, wrong shape, malformed value)."""

    exit_code = 2


class NotFoundError(ModelError):
    """A referenced id, name or file does not exist."""

    exit_code = 3


class UnavailableError(ModelError):
    """A device the operation needs is not there (CUDA asked for on a machine without it)."""

    exit_code = 5
