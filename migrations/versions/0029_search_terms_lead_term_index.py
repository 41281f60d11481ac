"""lead_search_terms: the lead's index carries the term

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 17:30:00.000000

A search matching many leads is paged by walking the list's index and checking each
lead's terms; with the term in the index that check reads only the index (on
PostgreSQL: on SQLite the table is keyed by the term and the index holds it already).
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("lead_search_terms", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lead_search_terms_lead_id_term", ["lead_id", "term"], unique=False
        )
        batch_op.drop_index("ix_lead_search_terms_lead_id")


def downgrade():
    with op.batch_alter_table("lead_search_terms", schema=None) as batch_op:
        batch_op.create_index("ix_lead_search_terms_lead_id", ["lead_id"], unique=False)
        batch_op.drop_index("ix_lead_search_terms_lead_id_term")
