"""Routing's writes: response_targets.rule_id keeps no foreign key; the timeline's
status-change index goes

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-05 04:45:00.000000

Every lead routed as it is stored writes a timeline row and a response target beside the
lead (issue 13: routing may add at most a tenth to storing leads). On PostgreSQL each
foreign-key check is a query of its own, ~2.7 us a row: the target's key to the rule that
routed it was a tenth of what routing added. The rule id is read only to ask, at a breach,
whether that rule re-routes (a deleted rule's id matches no rule); deleting a rule clears it
(`routing.rules.delete_rule`), as the key's ON DELETE SET NULL did. The index on timeline
rows by status change was read by no query and written for every status change, routing's
included.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("response_targets") as batch_op:
        batch_op.drop_constraint("fk_response_targets_rule_id_routing_rules", type_="foreignkey")
    with op.batch_alter_table("lead_interactions") as batch_op:
        batch_op.drop_index("ix_lead_interactions_status_changes")


def downgrade():
    with op.batch_alter_table("lead_interactions") as batch_op:
        batch_op.create_index(
            "ix_lead_interactions_status_changes",
            ["to_status", "created_at"],
            unique=False,
            postgresql_where=sa.text("to_status IS NOT NULL"),
            sqlite_where=sa.text("to_status IS NOT NULL"),
        )
    op.execute(
        "UPDATE response_targets SET rule_id = NULL"
        " WHERE rule_id NOT IN (SELECT id FROM routing_rules)"
    )
    with op.batch_alter_table("response_targets") as batch_op:
        batch_op.create_foreign_key(
            "fk_response_targets_rule_id_routing_rules",
            "routing_rules",
            ["rule_id"],
            ["id"],
            ondelete="SET NULL",
        )
