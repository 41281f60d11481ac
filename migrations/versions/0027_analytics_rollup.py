"""analytics rollup: analytics_daily, analytics_dirty_days and the triggers that mark a day
whose leads changed (issue 12, the analytics benchmark at a million leads)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 14:30:00.000000

Raw queries answered the 30-day page at a million leads in ~4 s and twelve months in ~27 s;
the page reads the rollup instead, counting from the leads only the days changed since it was
stored. The rollup starts empty: the scheduler's first run (or `flask analytics rebuild`)
counts every day; until then the page reads the leads, as before.
"""
from alembic import op
import sqlalchemy as sa

# The triggers are the models' own (create_all makes the same ones for tests and first starts).
from app.models.analytics import postgresql_triggers, sqlite_triggers


# revision identifiers, used by Alembic.
revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

COUNTS = (
    "leads", "reached", "first_contacted", "qualified", "converted", "lost", "invalid",
    "within_300", "within_3600", "within_86400",
)


def upgrade():
    op.create_table(
        "analytics_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("span", sa.String(length=5), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("k1", sa.String(length=64), nullable=True),
        sa.Column("k2", sa.String(length=64), nullable=True),
        sa.Column("k3", sa.String(length=64), nullable=True),
        sa.Column("n1", sa.String(length=255), nullable=True),
        sa.Column("n2", sa.String(length=255), nullable=True),
        sa.Column("n3", sa.String(length=255), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.Column("score_total", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_daily")),
    )
    op.create_index(
        "ix_analytics_daily_read", "analytics_daily",
        ["kind", "span", "day", "k1", "k2", "k3", "leads"], unique=False,
    )
    op.create_table(
        "analytics_dirty_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_dirty_days")),
    )
    op.create_index(
        op.f("ix_analytics_dirty_days_day"), "analytics_dirty_days", ["day"], unique=False
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in postgresql_triggers() if postgresql else sqlite_triggers():
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS analytics_dirty_{event} ON facebook_leads")
        op.execute("DROP FUNCTION IF EXISTS analytics_mark_dirty()")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS analytics_dirty_{event}")
    op.drop_index(op.f("ix_analytics_dirty_days_day"), table_name="analytics_dirty_days")
    op.drop_table("analytics_dirty_days")
    op.drop_index("ix_analytics_daily_read", table_name="analytics_daily")
    op.drop_table("analytics_daily")
