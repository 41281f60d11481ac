"""routing rules, staff working hours and capacity, response targets

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-02 02:10:00.000000

New tables for the rules (`routing_rules`, `routing_rule_staff`) and the first-contact targets
(`response_targets`); users gain nullable working hours, "away until" and capacity columns
(plain ADD COLUMN: no table rebuild, so nothing cascades on SQLite).
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("work_days", sa.String(length=7), nullable=True))
    op.add_column("users", sa.Column("work_start", sa.Time(), nullable=True))
    op.add_column("users", sa.Column("work_end", sa.Time(), nullable=True))
    op.add_column("users", sa.Column("away_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("capacity", sa.Integer(), nullable=True))
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("strategy", sa.String(length=20), nullable=False),
        sa.Column("distributor_id", sa.Integer(), nullable=True),
        sa.Column("form_id", sa.String(length=64), nullable=True),
        sa.Column("treatment", sa.String(length=64), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("score_min", sa.Integer(), nullable=True),
        sa.Column("score_max", sa.Integer(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("include_backlog", sa.Boolean(), nullable=False),
        sa.Column("reroute_on_breach", sa.Boolean(), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["distributor_id"],
            ["distributors.id"],
            name=op.f("fk_routing_rules_distributor_id_distributors"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_routing_rules_name")),
    )
    op.create_table(
        "routing_rule_staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["routing_rules.id"],
            name=op.f("fk_routing_rule_staff_rule_id_routing_rules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_routing_rule_staff_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rule_staff")),
        sa.UniqueConstraint("rule_id", "user_id", name=op.f("uq_routing_rule_staff_rule_id")),
    )
    op.create_table(
        "response_targets",
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("target_minutes", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breached_user_id", sa.Integer(), nullable=True),
        sa.Column("rerouted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["facebook_leads.id"],
            name=op.f("fk_response_targets_lead_id_facebook_leads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["routing_rules.id"],
            name=op.f("fk_response_targets_rule_id_routing_rules"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["breached_user_id"],
            ["users.id"],
            name=op.f("fk_response_targets_breached_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("lead_id", name=op.f("pk_response_targets")),
    )
    op.create_index(
        "ix_response_targets_open_due",
        "response_targets",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("breached_at IS NULL"),
        sqlite_where=sa.text("breached_at IS NULL"),
    )


def downgrade():
    op.drop_index("ix_response_targets_open_due", table_name="response_targets")
    op.drop_table("response_targets")
    op.drop_table("routing_rule_staff")
    op.drop_table("routing_rules")
    for column in ("capacity", "away_until", "work_end", "work_start", "work_days"):
        op.drop_column("users", column)
