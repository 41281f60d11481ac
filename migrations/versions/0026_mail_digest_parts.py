"""mail_digest_parts: a digest mail's leads, a page at a time (issue 11, the alert benchmark)

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-02 16:00:00.000000

A burst of new leads past ten a minute goes into one digest per recipient. Its lead ids were
a JSON list in mail_outbox.params, read and rewritten whole for each page of the burst; each
page is a part here, added with one INSERT. Digests queued before keep their JSON list (the
mail builders read both).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mail_digest_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mail_id", sa.Integer(), nullable=False),
        sa.Column(
            "lead_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["mail_id"], ["mail_outbox.id"],
            name=op.f("fk_mail_digest_parts_mail_id_mail_outbox"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_digest_parts")),
    )
    op.create_index(
        op.f("ix_mail_digest_parts_mail_id"), "mail_digest_parts", ["mail_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_mail_digest_parts_mail_id"), table_name="mail_digest_parts")
    op.drop_table("mail_digest_parts")
