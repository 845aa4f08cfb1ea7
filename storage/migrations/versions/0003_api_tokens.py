"""api tokens and the append-only audit function of the auditor API

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21

- ``api_token``: bearer tokens of ``maskloop api serve`` (name, role, sha256 of the secret,
  created_at/by, revoked_at). The secret itself is never stored.
- PostgreSQL only: ``maskloop_append_api_event(actor, role, action, entity, details)``, a
  SECURITY DEFINER function (owned by the migrating role) that appends ONE ``api.*`` event to the
  hash chain -- same advisory lock and same hash as ``storage.audit.trail.append_event``. The
  SELECT-only ``maskloop_auditor`` may EXECUTE it, so the API service, connected as that role,
  records every request without any INSERT/UPDATE/DELETE right. It refuses actions outside
  ``api.*`` (an auditor connection cannot forge catalog events), NULLs and non-JSON details.
  The auditor also gets SELECT on ``api_token`` (to check tokens).
SQLite (embedded, single user) gets only the table.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

AUDITOR_ROLE = "maskloop_auditor"
AUDIT_LOCK_KEY = 7_301_965_223  # = storage.audit.trail.AUDIT_LOCK_KEY (frozen here: migrations never change)
FUNCTION = "maskloop_append_api_event(text, text, text, text, text)"

# Canonical JSON exactly as storage.audit.chain.canonical_json builds it: keys sorted, no spaces;
# to_json(text) escapes the same characters as Python's json.dumps(ensure_ascii=False).
_APPEND_SQL = f"""
CREATE OR REPLACE FUNCTION maskloop_append_api_event(
    p_actor text, p_role text, p_action text, p_entity text, p_details text)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    last_id integer;
    last_hash text;
    new_id integer;
    prev text;
    at_ts timestamptz;
    canonical text;
BEGIN
    IF p_actor IS NULL OR p_role IS NULL OR p_action IS NULL OR p_entity IS NULL OR p_details IS NULL THEN
        RAISE EXCEPTION 'maskloop: every audit event field is required'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF left(p_action, 4) <> 'api.' THEN
        RAISE EXCEPTION 'maskloop: maskloop_append_api_event appends api.* events only, not %', p_action
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM p_details::json;
    PERFORM pg_advisory_xact_lock({AUDIT_LOCK_KEY});
    SELECT id, hash INTO last_id, last_hash FROM audit_event ORDER BY id DESC LIMIT 1;
    IF last_id IS NULL THEN
        new_id := 1;
        prev := repeat('0', 64);
    ELSE
        new_id := last_id + 1;
        prev := last_hash;
    END IF;
    at_ts := clock_timestamp();
    canonical := '{{"action":' || to_json(p_action)::text
        || ',"actor":' || to_json(p_actor)::text
        || ',"at":' || to_json(to_char(at_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text
        || ',"details":' || to_json(p_details)::text
        || ',"entity":' || to_json(p_entity)::text
        || ',"id":' || new_id::text
        || ',"prev_hash":' || to_json(prev)::text
        || ',"role":' || to_json(p_role)::text || '}}';
    INSERT INTO audit_event (id, at, actor, role, action, entity, details, prev_hash, hash)
    VALUES (new_id, at_ts, p_actor, p_role, p_action, p_entity, p_details, prev,
            encode(sha256(convert_to(canonical, 'UTF8')), 'hex'));
    RETURN new_id;
END;
$$
"""


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("token_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('auditor', 'data_manager', 'ml_engineer', 'admin')", name="ck_api_token_role_allowed"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_name"), ["name"], unique=True)
        batch_op.create_index(batch_op.f("ix_api_token_token_sha256"), ["token_sha256"], unique=True)
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_APPEND_SQL)
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {FUNCTION} TO {AUDITOR_ROLE}")
    op.execute(f"GRANT SELECT ON api_token TO {AUDITOR_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_token_sha256"))
        batch_op.drop_index(batch_op.f("ix_api_token_name"))
    op.drop_table("api_token")
