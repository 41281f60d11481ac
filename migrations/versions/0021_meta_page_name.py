"""meta_api_configs.page_name: the Page's name from Graph, shown instead of its id

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 06:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meta_api_configs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('page_name', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('meta_api_configs', schema=None) as batch_op:
        batch_op.drop_column('page_name')
