"""Errors of the flows layer (flows, the stack and the CLI).

Every error carries an ``exit_code`` the CLI maps to the process exit status, and a message that
says what went wrong and what to do; the CLI prints it as one line, never a traceback.
Exit codes are shared across layers: 1 failure, 2 invalid input, 3 not found, 4 conflict,
5 service unavailable.
"""

from __future__ import annotations


class FlowError(Exception):
    """Base of every flows error."""

    exit_code: int = 1


class InvalidInputError(FlowError):
    """The caller passed something unusable (bad file, wrong shape, malformed value)."""

    exit_code = 2


class NotFoundError(FlowError):
    """A referenced id, name or file does not exist."""

    exit_code = 3


class ConflictError(FlowError):
    """The operation clashes with stored state (immutable record, concurrent change)."""

    exit_code = 4


class UnavailableError(FlowError):
    """A service the operation needs cannot be reached."""

    exit_code = 5
