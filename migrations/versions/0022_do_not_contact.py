"""leads' do-not-contact flag: when, by whom, why

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 05:40:00.000000

Issue 17 item 4: routing, response targets, follow-ups, alert mails and exports skip a lead
whose person asked not to be contacted (or whose number is wrong, or who complained).
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


FK = "fk_facebook_leads_do_not_contact_by_id_users"


def upgrade():
    # Plain ADD COLUMNs: a batch copy of facebook_leads on SQLite would drop the table, and
    # with it (ON DELETE CASCADE) every timeline row. SQLite takes the reference inline.
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("facebook_leads", sa.Column("do_not_contact_at", sa.DateTime(timezone=True)))
    if sqlite:
        op.execute(
            f"ALTER TABLE facebook_leads ADD COLUMN do_not_contact_by_id INTEGER CONSTRAINT {FK}"
            " REFERENCES users (id)"
        )
    else:
        op.add_column("facebook_leads", sa.Column("do_not_contact_by_id", sa.Integer()))
    op.add_column("facebook_leads", sa.Column("do_not_contact_reason", sa.String(length=20)))
    op.create_index(
        "ix_facebook_leads_do_not_contact_at",
        "facebook_leads",
        ["do_not_contact_at"],
        postgresql_where=sa.text("do_not_contact_at IS NOT NULL"),
        sqlite_where=sa.text("do_not_contact_at IS NOT NULL"),
    )
    if not sqlite:
        op.create_foreign_key(FK, "facebook_leads", "users", ["do_not_contact_by_id"], ["id"])


def downgrade():
    op.drop_index("ix_facebook_leads_do_not_contact_at", table_name="facebook_leads")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(FK, "facebook_leads", type_="foreignkey")
    for column in ("do_not_contact_reason", "do_not_contact_by_id", "do_not_contact_at"):
        op.drop_column("facebook_leads", column)
