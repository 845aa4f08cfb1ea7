"""immutability triggers and the SELECT-only auditor role (PostgreSQL only)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

- ``maskloop_reject_change()``: a trigger function that raises on UPDATE, DELETE or TRUNCATE of
  the immutable tables (dataset_version, dataset_version_change, video_split, masklet_revision,
  review, audit_event). A superuser can still tamper by disabling triggers or
  ``SET session_replication_role = replica``; ``maskloop audit verify`` detects that.
- ``maskloop_auditor``: created NOLOGIN if missing (roles are cluster-wide), SELECT on every table
  of the schema, nothing else. A password is given only through ``maskloop db create-auditor``.
SQLite (embedded, single user) gets neither.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

IMMUTABLE_TABLES = (
    "dataset_version",
    "dataset_version_change",
    "video_split",
    "masklet_revision",
    "review",
    "audit_event",
)
AUDITOR_ROLE = "maskloop_auditor"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION maskloop_reject_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'maskloop: table % is immutable (% rejected)', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'integrity_constraint_violation';
        END;
        $$
        """
    )
    for table in IMMUTABLE_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION maskloop_reject_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION maskloop_reject_change()"
        )
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{AUDITOR_ROLE}') THEN
                CREATE ROLE {AUDITOR_ROLE} NOLOGIN;
            END IF;
        END
        $$
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {AUDITOR_ROLE}")
    op.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {AUDITOR_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {AUDITOR_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM {AUDITOR_ROLE}")
    op.execute(f"REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM {AUDITOR_ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {AUDITOR_ROLE}")
    for table in IMMUTABLE_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
    op.execute("DROP FUNCTION IF EXISTS maskloop_reject_change()")
