"""Errors of the ui_adapters layer: what a review UI (Label Studio) answered, as this layer's kinds.

ui_adapters/ls_errors.py turns HTTP answers into them: 4xx on what we sent -> InvalidInputError,
401/403 -> the base (a token problem), 404 -> NotFoundError, 409 -> ConflictError, connection
errors and 5xx -> UnavailableError; an
annotation that cannot be parsed is an InvalidInputError naming the task.

Every error carries an ``exit_code`` the CLI maps to the process exit status, and a message that
says what went wrong and what to do; the CLI prints it as one line, never a traceback.
Exit codes are shared across layers: 1 failure, 2 invalid input, 3 not found, 4 conflict,
5 service unavailable.
"""

from __future__ import annotations


class ReviewUIError(Exception):
    """Base of every ui_adapters error."""

    exit_code: int = 1


class InvalidInputError(ReviewUIError):
    """A malformed annotation, or a request Label Studio refused as invalid."""

    exit_code = 2


class NotFoundError(ReviewUIError):
    """A project, task or annotation Label Studio does not have."""

    exit_code = 3


class ConflictError(ReviewUIError):
    """Label Studio refused the change as conflicting with what it holds."""

    exit_code = 4


class UnavailableError(ReviewUIError):
    """Label Studio cannot be reached or failed (5xx)."""

    exit_code = 5
