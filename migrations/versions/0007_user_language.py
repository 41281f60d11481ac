"""users.language and distributors.language (issue 9: the desk in Turkish)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00.000000

Each user's own language for pages and emails, and a distributor's for the mails to its
contact address. Null: the browser's language (users), else DEFAULT_LOCALE.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
    with op.batch_alter_table('distributors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('distributors', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
