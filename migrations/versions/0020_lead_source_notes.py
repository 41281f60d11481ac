"""leads entered by hand and corrected: facebook_leads.source ('meta' for Meta's) and notes

Revision ID: 0020_record
Revises: 0022
Create Date: 2026-12-02 05:40:00.000000

Columns added in place (no batch rebuild: facebook_leads has children that cascade).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0020_record"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "facebook_leads",
        sa.Column("source", sa.String(length=16), server_default="meta", nullable=False),
    )
    op.add_column("facebook_leads", sa.Column("notes", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("facebook_leads") as batch_op:
        batch_op.drop_column("notes")
        batch_op.drop_column("source")
