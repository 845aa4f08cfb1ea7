"""JSON or CSV responses from the catalog's DataFrames.

JSON is the default (the route's pydantic response model); CSV when ``?format=csv`` or when the
Accept header names ``text/csv`` (an explicit ``?format=json`` wins over the header). CSV keeps the
DataFrame's columns, times in ISO-8601, JSON details as text.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pandas as pd
from fastapi import Request
from fastapi.responses import Response

from flows.api.schemas import LineageOut, LineageRow

CSV_RESPONSE = {200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                      "description": "JSON by default; CSV with ?format=csv or Accept: text/csv"}}
TIME_COLUMNS = frozenset({"at", "created_at"})


def _iso(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def wants_csv(request: Request, fmt: str | None) -> bool:
    if fmt is not None:
        return fmt == "csv"
    return "text/csv" in request.headers.get("accept", "").lower()


def csv_response(frame: pd.DataFrame, *, filename: str) -> Response:
    """``frame`` as a CSV attachment named ``filename`` (letters, digits, ``._-@`` only)."""
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._-@") else "_" for c in filename)[:120] or "export"
    frame = frame.copy()
    for column in TIME_COLUMNS.intersection(frame.columns):
        frame[column] = [_iso(utc_or_none(v)) for v in frame[column]]
    body = frame.to_csv(index=False)
    return Response(content=body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{safe}.csv"'})


def utc_or_none(value: object) -> datetime | None:
    """A pandas/py datetime (naive = UTC) as an aware UTC datetime; NaT/None/NaN -> None."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):  # SQLite returns text for times read by raw SQL
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def plain(value: object) -> object:
    """numpy/pandas scalars -> Python values; missing -> None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def lineage_rows(frame: pd.DataFrame) -> list[LineageRow]:
    """Rows of a lineage DataFrame (``LINEAGE_COLUMNS``) with details parsed."""
    return [LineageRow(relation=r.relation, entity=r.entity, name=str(r.name), at=utc_or_none(r.at),
                       actor=plain(r.actor), details=json.loads(r.details) if r.details else {})
            for r in frame.itertuples(index=False)]


def lineage_response(request: Request, fmt: str | None, frame: pd.DataFrame, *, subject: str,
                     filename: str) -> Response | LineageOut:
    """A lineage DataFrame as :class:`LineageOut` JSON or as CSV."""
    from flows.api.schemas import LineageOut

    if wants_csv(request, fmt):
        return csv_response(frame, filename=filename)
    return LineageOut(subject=subject, rows=lineage_rows(frame))
