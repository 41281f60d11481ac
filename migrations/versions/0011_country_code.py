"""leads' country as an ISO code (from the phone, else the form's country answer)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 02:00:00.000000

The dashboard, bulk selections, analytics and routing filter by `country` (DESIGN.md: the ISO
code from the phone's region, stored as country_code). Existing leads are filled in from their
stored E.164 phone or country answer, a batch of ids at a time.
"""
from alembic import op
import sqlalchemy as sa

from app.meta.normalize import country_code

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BATCH = 5000
SHOWN = "deleted_at IS NULL AND duplicate_of_id IS NULL AND is_test IS {false}"


def upgrade():
    with op.batch_alter_table("facebook_leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("country_code", sa.String(length=2), nullable=True))
        batch_op.create_index(
            "ix_facebook_leads_shown_country_received",
            ["country_code", "meta_created_at"],
            unique=False,
            postgresql_where=sa.text(SHOWN.format(false="false")),
            sqlite_where=sa.text(SHOWN.format(false="0")),
        )
    conn = op.get_bind()
    select = sa.text(
        "SELECT id, phone, country FROM facebook_leads WHERE id > :last "
        "AND (phone IS NOT NULL OR country IS NOT NULL) ORDER BY id LIMIT :size"
    )
    update = sa.text("UPDATE facebook_leads SET country_code = :code WHERE id = :id")
    last = 0
    while rows := conn.execute(select, {"last": last, "size": BATCH}).all():
        last = rows[-1][0]
        codes = [
            {"id": row_id, "code": code}
            for row_id, phone, country in rows
            if (code := country_code(phone, country))
        ]
        if codes:
            conn.execute(update, codes)


def downgrade():
    with op.batch_alter_table("facebook_leads", schema=None) as batch_op:
        batch_op.drop_index("ix_facebook_leads_shown_country_received")
        batch_op.drop_column("country_code")
