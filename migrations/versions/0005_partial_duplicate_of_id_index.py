"""partial duplicate_of_id index (dashboard at a million leads)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 19:10:00.000000

Without statistics SQLite answered the `duplicate_of_id IS NULL` term of every dashboard
query through the full `ix_facebook_leads_duplicate_of_id`, then sorted every shown lead
(1.5 s at a million leads, bench/dashboard.py) instead of walking a `shown_*` partial index.
Only re-inquiries need that index (a lead's duplicates, the foreign key), so now it holds
only them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

NOT_NULL = sa.text("duplicate_of_id IS NOT NULL")


def upgrade():
    with op.batch_alter_table('facebook_leads', schema=None) as batch_op:
        batch_op.drop_index('ix_facebook_leads_duplicate_of_id')
        batch_op.create_index(
            'ix_facebook_leads_duplicate_of_id',
            ['duplicate_of_id'],
            unique=False,
            postgresql_where=NOT_NULL,
            sqlite_where=NOT_NULL,
        )


def downgrade():
    with op.batch_alter_table('facebook_leads', schema=None) as batch_op:
        batch_op.drop_index('ix_facebook_leads_duplicate_of_id')
        batch_op.create_index('ix_facebook_leads_duplicate_of_id', ['duplicate_of_id'], unique=False)
