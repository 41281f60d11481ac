"""status history as data: from/to status and message codes on the timeline, lead milestones

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:00:00.000000

The timeline said "Status new → contacted." in prose; analytics needs it as data. Existing rows
are read back: status changes and assignments whose text carries "Status A → B." get
from_status/to_status. Leads get qualified_at (the first time they became qualified) and
lost_at (when a lead that is lost now became lost).
"""

import re

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = '0009'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
STATUS_RE = re.compile(r"Status (\w+) → (\w+)\.")
BATCH = 5000


def upgrade():
    with op.batch_alter_table("lead_interactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("from_status", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("to_status", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("message_code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("message_params", JSON, nullable=True))
        batch_op.create_index(
            "ix_lead_interactions_status_changes",
            ["to_status", "created_at"],
            unique=False,
            postgresql_where=sa.text("to_status IS NOT NULL"),
            sqlite_where=sa.text("to_status IS NOT NULL"),
        )
    with op.batch_alter_table("facebook_leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("qualified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("lost_at", sa.DateTime(timezone=True), nullable=True))
    backfill_history()
    backfill_milestones()


def backfill_history():
    """Read "Status A → B." back out of status changes and assignments, a batch of ids at a
    time (a million-lead timeline never sits in memory)."""
    conn = op.get_bind()
    select = sa.text(
        "SELECT id, description FROM lead_interactions WHERE id > :last "
        "AND interaction_type IN ('status_change', 'assignment') ORDER BY id LIMIT :size"
    )
    update = sa.text(
        "UPDATE lead_interactions SET from_status = :from_status, to_status = :to_status "
        "WHERE id = :id"
    )
    last = 0
    while rows := conn.execute(select, {"last": last, "size": BATCH}).all():
        last = rows[-1][0]
        updates = [
            {"id": row_id, "from_status": match[1], "to_status": match[2]}
            for row_id, description in rows
            if (match := STATUS_RE.search(description or ""))
        ]
        if updates:
            conn.execute(update, updates)


def backfill_milestones():
    op.execute(
        "UPDATE facebook_leads SET qualified_at = (SELECT min(i.created_at) FROM lead_interactions i "
        "WHERE i.lead_id = facebook_leads.id AND i.to_status = 'qualified') "
        "WHERE status IN ('qualified', 'converted') OR id IN "
        "(SELECT lead_id FROM lead_interactions WHERE to_status = 'qualified')"
    )
    op.execute(
        "UPDATE facebook_leads SET lost_at = (SELECT max(i.created_at) FROM lead_interactions i "
        "WHERE i.lead_id = facebook_leads.id AND i.to_status = 'lost') WHERE status = 'lost'"
    )


def downgrade():
    with op.batch_alter_table("facebook_leads", schema=None) as batch_op:
        batch_op.drop_column("lost_at")
        batch_op.drop_column("qualified_at")
    with op.batch_alter_table("lead_interactions", schema=None) as batch_op:
        batch_op.drop_index("ix_lead_interactions_status_changes")
        batch_op.drop_column("message_params")
        batch_op.drop_column("message_code")
        batch_op.drop_column("to_status")
        batch_op.drop_column("from_status")
