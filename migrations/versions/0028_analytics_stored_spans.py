"""analytics_stored_spans: a token per stored day, week and month of the rollup

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 19:30:00.000000

The analytics page keeps the sums of stored rollup rows in the process and reuses them
while the tokens of the spans they cover are unchanged (the 30-day view at a million leads
read the same weeks from the database on every view). Spans already stored get a token
each here.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "analytics_stored_spans",
        sa.Column("span", sa.String(length=5), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("span", "day", name=op.f("pk_analytics_stored_spans")),
    )
    token = "abs(random())"
    if op.get_bind().dialect.name == "postgresql":
        token = "floor(random() * 9e18)::bigint"
    op.execute(
        "INSERT INTO analytics_stored_spans (span, day, token) "
        f"SELECT span, day, {token} FROM (SELECT DISTINCT span, day FROM analytics_daily) s"
    )


def downgrade():
    op.drop_table("analytics_stored_spans")
