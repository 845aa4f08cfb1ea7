"""The ``api_token`` table: bearer tokens of the auditor API, stored as sha256 only.

Registered on ``SQLModel.metadata`` by :mod:`storage.catalog.tables` (one import at its end), created
by migration 0003. Rows are never deleted: revoking sets ``revoked_at`` so the audit trail's token
names keep meaning something.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

API_ROLES = ("auditor", "data_manager", "ml_engineer", "admin")


class ApiToken(SQLModel, table=True):
    """One API token: ``token_sha256`` is the sha256 hex of the secret, which is never stored."""

    __tablename__ = "api_token"
    __table_args__ = (
        sa.CheckConstraint(
            "role IN (" + ", ".join(f"'{r}'" for r in API_ROLES) + ")", name="ck_api_token_role_allowed"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True, index=True)
    role: str = Field(max_length=50)
    token_sha256: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    created_by: str = Field(max_length=200)
    revoked_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True))
