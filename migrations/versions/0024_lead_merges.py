"""merged leads (lead_merges): which lead survived, what undo restores

Revision ID: 0024
Revises: 0025
Create Date: 2026-12-02 06:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lead_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(
            "before",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["other_id"], ["facebook_leads.id"],
            name=op.f("fk_lead_merges_other_id_facebook_leads"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["survivor_id"], ["facebook_leads.id"],
            name=op.f("fk_lead_merges_survivor_id_facebook_leads"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_lead_merges_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_merges")),
    )
    op.create_index(op.f("ix_lead_merges_other_id"), "lead_merges", ["other_id"], unique=False)
    op.create_index(op.f("ix_lead_merges_survivor_id"), "lead_merges", ["survivor_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_lead_merges_survivor_id"), table_name="lead_merges")
    op.drop_index(op.f("ix_lead_merges_other_id"), table_name="lead_merges")
    op.drop_table("lead_merges")
