"""Errors of the storage layer (the catalog, object store, ingest and masks).

Every error carries an ``exit_code`` the CLI maps to the process exit status, and a message that
says what went wrong and what to do; the CLI prints it as one line, never a traceback.
Exit codes are shared across layers: 1 failure, 2 invalid input, 3 not found, 4 conflict,
5 service unavailable.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base of every storage error."""

    exit_code: int = 1


class InvalidInputError(StorageError):
    """The caller passed something unusable (bad file, wrong shape, malformed value)."""

    exit_code = 2


class NotFoundError(StorageError):
    """A referenced id, name or file does not exist."""

    exit_code = 3


class ConflictError(StorageError):
    """The operation clashes with stored state (immutable record, concurrent change)."""

    exit_code = 4


class UnavailableError(StorageError):
    """A service the operation needs cannot be reached."""

    exit_code = 5
