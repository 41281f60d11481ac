"""no lead lost in silence: reconciliation, one quarantine row per lead, recoverable lease

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:00:00.000000

- facebook_leads: (form, received) index, so a form's leads are counted from the index.
- meta_forms: Meta's expired count, the shortfall found by reconciliation, when it ran and
  when the last deep re-read started.
- meta_api_configs: when the sync lease was taken; the last error as a message code + params.
- sync_runs / meta_webhook_events: errors as a message code + params (translated on display).
- meta_failed_leads: one row per Meta lead id (duplicates from before are folded into the
  newest row, their number kept in `attempts`), the reason as a code + params, last seen.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    with op.batch_alter_table('facebook_leads', schema=None) as batch_op:
        batch_op.drop_index('ix_facebook_leads_meta_form_id')
        batch_op.create_index(
            'ix_facebook_leads_form_received', ['meta_form_id', 'meta_created_at'], unique=False
        )

    with op.batch_alter_table('meta_forms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expired_leads_count_on_meta', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('shortfall', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reconciled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deep_read_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('meta_api_configs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_error_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('last_error_params', JSON, nullable=True))
        batch_op.add_column(sa.Column('lease_acquired_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('error_params', JSON, nullable=True))

    with op.batch_alter_table('meta_webhook_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_error_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('last_error_params', JSON, nullable=True))

    with op.batch_alter_table('meta_failed_leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('reason_params', JSON, nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(
            sa.Column(
                'last_seen_at',
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
    op.execute(
        "UPDATE meta_failed_leads SET last_seen_at = created_at, attempts = ("
        "SELECT count(*) FROM meta_failed_leads AS same "
        "WHERE same.meta_lead_id = meta_failed_leads.meta_lead_id) "
        "WHERE meta_lead_id IS NOT NULL"
    )
    op.execute(
        "DELETE FROM meta_failed_leads WHERE meta_lead_id IS NOT NULL AND id NOT IN ("
        "SELECT max(id) FROM meta_failed_leads WHERE meta_lead_id IS NOT NULL "
        "GROUP BY meta_lead_id)"
    )
    with op.batch_alter_table('meta_failed_leads', schema=None) as batch_op:
        batch_op.create_index(
            'uq_meta_failed_leads_meta_lead_id',
            ['meta_lead_id'],
            unique=True,
            postgresql_where=sa.text('meta_lead_id IS NOT NULL'),
            sqlite_where=sa.text('meta_lead_id IS NOT NULL'),
        )


def downgrade():
    with op.batch_alter_table('meta_failed_leads', schema=None) as batch_op:
        batch_op.drop_index('uq_meta_failed_leads_meta_lead_id')
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('reason_params')
        batch_op.drop_column('reason_code')

    with op.batch_alter_table('meta_webhook_events', schema=None) as batch_op:
        batch_op.drop_column('last_error_params')
        batch_op.drop_column('last_error_code')

    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.drop_column('error_params')
        batch_op.drop_column('error_code')

    with op.batch_alter_table('meta_api_configs', schema=None) as batch_op:
        batch_op.drop_column('lease_acquired_at')
        batch_op.drop_column('last_error_params')
        batch_op.drop_column('last_error_code')

    with op.batch_alter_table('meta_forms', schema=None) as batch_op:
        batch_op.drop_column('deep_read_at')
        batch_op.drop_column('reconciled_at')
        batch_op.drop_column('shortfall')
        batch_op.drop_column('expired_leads_count_on_meta')

    with op.batch_alter_table('facebook_leads', schema=None) as batch_op:
        batch_op.drop_index('ix_facebook_leads_form_received')
        batch_op.create_index('ix_facebook_leads_meta_form_id', ['meta_form_id'], unique=False)
