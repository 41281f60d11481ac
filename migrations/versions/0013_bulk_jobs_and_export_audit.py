"""bulk jobs and export audit

Revision ID: 0013
Revises: 0019
Create Date: 2026-12-02 01:49:33.454330

Issue 10: `bulk_jobs` (one row per bulk action), `bulk_job_items` (what each changed lead was
before, for undo) and `export_audit` (every export). New tables only.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('bulk_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('status', 'assign', 'delete', 'restore', name='bulkaction', native_enum=False, length=20), nullable=False),
    sa.Column('params', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('selection', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('state', sa.Enum('queued', 'running', 'done', 'interrupted', 'failed', 'undone', name='bulkstate', native_enum=False, length=20), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('processed', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('last_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('undo_result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_bulk_jobs_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_jobs'))
    )
    with op.batch_alter_table('bulk_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_bulk_jobs_user_created', ['user_id', 'created_at'], unique=False)

    op.create_table('export_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('selection', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('columns', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('file_name', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_export_audit_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_audit'))
    )
    with op.batch_alter_table('export_audit', schema=None) as batch_op:
        batch_op.create_index('ix_export_audit_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_audit_user_id'), ['user_id'], unique=False)

    op.create_table('bulk_job_items',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('version_after', sa.Integer(), nullable=False),
    sa.Column('old_status', sa.String(length=20), nullable=False),
    sa.Column('old_assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('old_deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('old_first_contacted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('old_qualified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('old_converted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('old_lost_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['bulk_jobs.id'], name=op.f('fk_bulk_job_items_job_id_bulk_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['facebook_leads.id'], name=op.f('fk_bulk_job_items_lead_id_facebook_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', 'lead_id', name=op.f('pk_bulk_job_items'))
    )
    with op.batch_alter_table('bulk_job_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulk_job_items_lead_id'), ['lead_id'], unique=False)




def downgrade():

    with op.batch_alter_table('bulk_job_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulk_job_items_lead_id'))

    op.drop_table('bulk_job_items')
    with op.batch_alter_table('export_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_audit_user_id'))
        batch_op.drop_index('ix_export_audit_created_at')

    op.drop_table('export_audit')
    with op.batch_alter_table('bulk_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_bulk_jobs_user_created')

    op.drop_table('bulk_jobs')

