"""initial catalog

Revision ID: 0001
Revises: 
Create Date: 2026-11-21

Every table of DESIGN.md "Catalog". PostgreSQL-only guards (immutability triggers, the
maskloop_auditor role) come in 0002.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _forward_fk_model_training_run() -> list:
    """SQLite accepts a forward reference inline (and cannot add one later); PostgreSQL adds it below."""
    if _is_sqlite():
        return [sa.ForeignKeyConstraint(['training_run_id'], ['training_run.id'], name='fk_model_training_run')]
    return []


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('entity', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hash')
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_actor'), ['actor'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_entity'), ['entity'], unique=False)

    op.create_table('dataset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dataset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_name'), ['name'], unique=True)

    op.create_table('model_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('backend', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('uri', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('aliases', sa.Text(), nullable=False),
    sa.Column('training_run_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    *_forward_fk_model_training_run(),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', 'version', name='uq_model_name_version')
    )
    with op.batch_alter_table('model_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_version_training_run_id'), ['training_run_id'], unique=False)

    op.create_table('annotation_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('model_version_id', sa.Integer(), nullable=True),
    sa.Column('budget', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('label_studio_project_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], ),
    sa.ForeignKeyConstraint(['model_version_id'], ['model_version.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('annotation_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annotation_round_dataset_id'), ['dataset_id'], unique=False)

    op.create_table('dataset_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('manifest_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('manifest_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('n_members', sa.Integer(), nullable=False),
    sa.Column('n_added', sa.Integer(), nullable=False),
    sa.Column('n_updated', sa.Integer(), nullable=False),
    sa.Column('n_removed', sa.Integer(), nullable=False),
    sa.Column('composition', sa.Text(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], ),
    sa.ForeignKeyConstraint(['parent_id'], ['dataset_version.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dataset_id', 'number', name='uq_version_dataset_number')
    )
    with op.batch_alter_table('dataset_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_version_dataset_id'), ['dataset_id'], unique=False)

    op.create_table('video',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('frames_prefix', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('n_frames', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('fps', sa.Float(), nullable=False),
    sa.Column('source_fps', sa.Float(), nullable=False),
    sa.Column('sampling_stride', sa.Float(), nullable=False),
    sa.Column('codec', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('source_frame_indices', sa.Text(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['dataset.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dataset_id', 'sha256', name='uq_video_dataset_sha256')
    )
    with op.batch_alter_table('video', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_video_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_video_sha256'), ['sha256'], unique=False)

    op.create_table('masklet',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('video_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('generator_model_version_id', sa.Integer(), nullable=True),
    sa.Column('generator_params_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('current_revision', sa.Integer(), nullable=False),
    sa.Column('committed_revision', sa.Integer(), nullable=True),
    sa.Column('dirty', sa.Boolean(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("origin IN ('auto', 'manual', 'ground_truth')", name='ck_origin_allowed'),
    sa.CheckConstraint("status IN ('proposed', 'in_review', 'accepted', 'rejected', 'needs_fix')", name='ck_status_allowed'),
    sa.ForeignKeyConstraint(['generator_model_version_id'], ['model_version.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['annotation_round.id'], ),
    sa.ForeignKeyConstraint(['video_id'], ['video.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('masklet', schema=None) as batch_op:
        batch_op.create_index('ix_masklet_dirty', ['id'], unique=False, postgresql_where=sa.text('dirty = true'), sqlite_where=sa.text('dirty = 1'))
        batch_op.create_index(batch_op.f('ix_masklet_generator_model_version_id'), ['generator_model_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_masklet_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_masklet_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_masklet_video_id'), ['video_id'], unique=False)

    op.create_table('training_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mlflow_run_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('dataset_version_id', sa.Integer(), nullable=False),
    sa.Column('base_model_version_id', sa.Integer(), nullable=True),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('metrics', sa.Text(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['base_model_version_id'], ['model_version.id'], ),
    sa.ForeignKeyConstraint(['dataset_version_id'], ['dataset_version.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('mlflow_run_id')
    )
    with op.batch_alter_table('training_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_run_base_model_version_id'), ['base_model_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_run_dataset_version_id'), ['dataset_version_id'], unique=False)
    if not _is_sqlite():  # model_version <-> training_run reference each other
        op.create_foreign_key('fk_model_training_run', 'model_version', 'training_run', ['training_run_id'], ['id'])

    op.create_table('video_split',
    sa.Column('video_id', sa.Integer(), nullable=False),
    sa.Column('split', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("split IN ('train', 'val', 'test')", name='ck_split_allowed'),
    sa.ForeignKeyConstraint(['version_id'], ['dataset_version.id'], ),
    sa.ForeignKeyConstraint(['video_id'], ['video.id'], ),
    sa.PrimaryKeyConstraint('video_id')
    )
    op.create_table('masklet_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('masklet_id', sa.Integer(), nullable=False),
    sa.Column('rev', sa.Integer(), nullable=False),
    sa.Column('blob_key', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('blob_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('frame_start', sa.Integer(), nullable=False),
    sa.Column('frame_end', sa.Integer(), nullable=False),
    sa.Column('frame_indices', sa.Text(), nullable=False),
    sa.Column('scores', sa.Text(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('model', 'reviewer', 'refinement', 'import')", name='ck_source_allowed'),
    sa.ForeignKeyConstraint(['masklet_id'], ['masklet.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('masklet_id', 'rev', name='uq_revision_masklet_rev')
    )
    with op.batch_alter_table('masklet_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_masklet_revision_masklet_id'), ['masklet_id'], unique=False)

    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('masklet_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('reviewer', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('corrected_revision', sa.Integer(), nullable=True),
    sa.Column('frames_edited', sa.Integer(), nullable=False),
    sa.Column('clicks', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("verdict IN ('satisfactory', 'unsatisfactory', 'ill_defined')", name='ck_verdict_allowed'),
    sa.ForeignKeyConstraint(['masklet_id'], ['masklet.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('external_id')
    )
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_masklet_id'), ['masklet_id'], unique=False)

    op.create_table('dataset_version_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('masklet_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('op', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.CheckConstraint("op IN ('add', 'update', 'remove')", name='ck_op_allowed'),
    sa.ForeignKeyConstraint(['masklet_id'], ['masklet.id'], ),
    sa.ForeignKeyConstraint(['revision_id'], ['masklet_revision.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['dataset_version.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('version_id', 'masklet_id', name='uq_change_version_masklet')
    )
    with op.batch_alter_table('dataset_version_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dataset_version_change_masklet_id'), ['masklet_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dataset_version_change_revision_id'), ['revision_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dataset_version_change_version_id'), ['version_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('dataset_version_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_version_change_version_id'))
        batch_op.drop_index(batch_op.f('ix_dataset_version_change_revision_id'))
        batch_op.drop_index(batch_op.f('ix_dataset_version_change_masklet_id'))

    op.drop_table('dataset_version_change')
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_masklet_id'))

    op.drop_table('review')
    with op.batch_alter_table('masklet_revision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_masklet_revision_masklet_id'))

    op.drop_table('masklet_revision')
    op.drop_table('video_split')
    with op.batch_alter_table('training_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_run_dataset_version_id'))
        batch_op.drop_index(batch_op.f('ix_training_run_base_model_version_id'))

    if not _is_sqlite():
        op.drop_constraint('fk_model_training_run', 'model_version', type_='foreignkey')
    op.drop_table('training_run')
    with op.batch_alter_table('masklet', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_masklet_video_id'))
        batch_op.drop_index(batch_op.f('ix_masklet_status'))
        batch_op.drop_index(batch_op.f('ix_masklet_round_id'))
        batch_op.drop_index(batch_op.f('ix_masklet_generator_model_version_id'))
        batch_op.drop_index('ix_masklet_dirty', postgresql_where=sa.text('dirty = true'), sqlite_where=sa.text('dirty = 1'))

    op.drop_table('masklet')
    with op.batch_alter_table('video', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_video_sha256'))
        batch_op.drop_index(batch_op.f('ix_video_dataset_id'))

    op.drop_table('video')
    with op.batch_alter_table('dataset_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_version_dataset_id'))

    op.drop_table('dataset_version')
    with op.batch_alter_table('annotation_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annotation_round_dataset_id'))

    op.drop_table('annotation_round')
    with op.batch_alter_table('model_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_version_training_run_id'))

    op.drop_table('model_version')
    with op.batch_alter_table('dataset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dataset_name'))

    op.drop_table('dataset')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_entity'))
        batch_op.drop_index(batch_op.f('ix_audit_event_actor'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
