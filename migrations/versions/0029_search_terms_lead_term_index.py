"""lead_search_terms: the lead's index carries the term; no foreign key

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 17:30:00.000000

A search matching many leads is paged by walking the list's index and checking each
lead's terms; with the term in the index that check reads only the index (on PostgreSQL;
SQLite's table is keyed by the term and its index held it already). The foreign key to
facebook_leads goes: the terms are a derived index written with their lead and deleted with
it (privacy removal is the only place a lead is deleted), and on PostgreSQL the key's check
of every term (six a lead) cost a fifth of the time of storing a page of leads.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

TABLE_KWARGS = {"sqlite_with_rowid": False}


def upgrade():
    with op.batch_alter_table("lead_search_terms", table_kwargs=TABLE_KWARGS) as batch_op:
        batch_op.drop_constraint(
            "fk_lead_search_terms_lead_id_facebook_leads", type_="foreignkey"
        )
        batch_op.create_index(
            "ix_lead_search_terms_lead_id_term", ["lead_id", "term"], unique=False
        )
        batch_op.drop_index("ix_lead_search_terms_lead_id")


def downgrade():
    with op.batch_alter_table("lead_search_terms", table_kwargs=TABLE_KWARGS) as batch_op:
        batch_op.create_index("ix_lead_search_terms_lead_id", ["lead_id"], unique=False)
        batch_op.drop_index("ix_lead_search_terms_lead_id_term")
        batch_op.create_foreign_key(
            "fk_lead_search_terms_lead_id_facebook_leads",
            "facebook_leads",
            ["lead_id"],
            ["id"],
            ondelete="CASCADE",
        )
