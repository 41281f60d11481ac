"""distributors.notify_new_leads (issue 11: a distributor's contact can stop the alerts)

Revision ID: 0023
Revises: 0020_record
Create Date: 2026-12-02 05:45:00.000000

The new-lead alerts to a distributor's contact address carry an unsubscribe link, as users'
mails do; it turns this off. An admin turns it back on from the distributor's form.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0020_record'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('distributors', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('notify_new_leads', sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('distributors', schema=None) as batch_op:
        batch_op.drop_column('notify_new_leads')
