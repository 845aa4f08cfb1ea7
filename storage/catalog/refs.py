"""References typed by users: ``NAME@N`` for dataset versions, ``NAME@VER`` for models, parsed and
resolved (:func:`version_row`)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlmodel import Session

from storage.catalog.tables import Dataset, DatasetVersion
from storage.errors import InvalidInputError, NotFoundError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,199}$")
_REF = re.compile(r"^(?P<name>[^@\s]+)@(?P<number>[1-9][0-9]{0,8})$")


def check_name(name: str, *, what: str = "dataset") -> str:
    """A dataset or model name: letters, digits, ``._-``, at most 200 characters."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInputError(
            f"invalid {what} name {name!r}: use letters, digits, '.', '_' or '-' (at most 200 characters)"
        )
    return name


def parse_ref(ref: str, *, what: str = "dataset version") -> tuple[str, int]:
    """``"NAME@N"`` -> ``(NAME, N)`` with N >= 1; anything else raises InvalidInputError."""
    match = _REF.match(ref.strip()) if isinstance(ref, str) else None
    if match is None:
        raise InvalidInputError(f"invalid {what} reference {ref!r}: expected NAME@N, e.g. surgery@3")
    return check_name(match.group("name"), what=what.split()[0]), int(match.group("number"))


def version_row(session: Session, ref: str) -> tuple[DatasetVersion, str]:
    """The stored version ``NAME@N`` and its dataset name; NotFoundError / InvalidInputError."""
    name, number = parse_ref(ref)
    row = session.execute(
        sa.select(DatasetVersion).join(Dataset, Dataset.id == DatasetVersion.dataset_id)
        .where(Dataset.name == name, DatasetVersion.number == number)
    ).scalar_one_or_none()
    if row is None:
        raise NotFoundError(f"dataset version {name}@{number} not found; `maskloop dataset list {name}` lists versions")
    return row, name
