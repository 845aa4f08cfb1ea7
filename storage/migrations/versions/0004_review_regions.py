"""review effort as Label Studio records it: brush regions changed

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

- ``review.regions_changed``: brush regions the reviewer drew or changed on the edited frames
  (Label Studio stores regions, not strokes: strokes made while a region is selected extend it).
  0 for reviews recorded before this revision and for reviewers that count clicks instead.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.add_column(sa.Column("regions_changed", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_column("regions_changed")
