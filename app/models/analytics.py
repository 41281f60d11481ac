"""The analytics rollup (issue 12): per local day of receipt, the figures of that day's leads,
grouped the ways the analytics page groups them; and the days whose leads changed since.

A day is marked changed by the database itself: triggers on `facebook_leads` add the UTC
day of every lead inserted, updated or deleted to `analytics_dirty_days`, whichever code
path wrote it (ingest, the workflow, bulk, routing, erasure, a migration). The analytics
service counts a changed day from the leads and the others from `analytics_daily`; the
scheduler folds changed days into the rollup (`analytics_rollup.flush`)."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

# Columns of a lead the rollup reads: a SQLite UPDATE touching none of them marks nothing.
ROLLUP_COLUMNS = (
    "meta_created_at",
    "created_at",
    "status",
    "assigned_to_id",
    "first_contacted_at",
    "qualified_at",
    "converted_at",
    "lost_at",
    "score",
    "deleted_at",
    "is_test",
    "duplicate_of_id",
    "campaign_id",
    "campaign_name",
    "adset_id",
    "adset_name",
    "ad_id",
    "ad_name",
    "meta_form_id",
    "platform",
    "source",
    "is_organic",
    "service",
    "country_code",
)


class AnalyticsDaily(db.Model):
    """One group of one local day's leads: *kind* says what groups them (`staff`, `response`,
    `hour`, `campaign`, `form`, `platform`, `source`, `organic`, `service`, `country`,
    `converted`, `waiting`), k1…k3 the group's keys and n1…n3 names shown for them."""

    __tablename__ = "analytics_daily"
    # Covering the reads that need only a count (the response histogram: most of the rows).
    __table_args__ = (
        sa.Index("ix_analytics_daily_read", "kind", "span", "day", "k1", "k2", "k3", "leads"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    # `day`, or a `week` (Monday … Sunday) or `month` row (day = its first day): the sums of
    # its days' rows, so thirty days read four weeks and a few days, a year twelve months.
    span: Mapped[str] = mapped_column(sa.String(5), default="day")
    kind: Mapped[str] = mapped_column(sa.String(16))
    k1: Mapped[str | None] = mapped_column(sa.String(64))
    k2: Mapped[str | None] = mapped_column(sa.String(64))
    k3: Mapped[str | None] = mapped_column(sa.String(64))
    n1: Mapped[str | None] = mapped_column(sa.String(255))
    n2: Mapped[str | None] = mapped_column(sa.String(255))
    n3: Mapped[str | None] = mapped_column(sa.String(255))
    leads: Mapped[int] = mapped_column(default=0)
    reached: Mapped[int] = mapped_column(default=0)  # contacted, qualified or converted
    first_contacted: Mapped[int] = mapped_column(default=0)  # a first contact attempt
    qualified: Mapped[int] = mapped_column(default=0)
    converted: Mapped[int] = mapped_column(default=0)
    lost: Mapped[int] = mapped_column(default=0)
    invalid: Mapped[int] = mapped_column(default=0)
    within_300: Mapped[int] = mapped_column(default=0)
    within_3600: Mapped[int] = mapped_column(default=0)
    within_86400: Mapped[int] = mapped_column(default=0)
    score_total: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    def __repr__(self) -> str:
        return f"<AnalyticsDaily {self.day} {self.kind}>"


class AnalyticsDirtyDay(db.Model):
    """A UTC day some of whose leads changed since the rollup last counted it."""

    __tablename__ = "analytics_dirty_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)

    def __repr__(self) -> str:
        return f"<AnalyticsDirtyDay {self.day}>"


class AnalyticsStoredSpan(db.Model):
    """A day, week or month (`span`, its first day) of `analytics_daily` and a random token
    written each time its rows are stored: a reader that kept a sum of those rows knows by
    the token whether they are still the ones it summed (`analytics_stored`)."""

    __tablename__ = "analytics_stored_spans"

    span: Mapped[str] = mapped_column(sa.String(5), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    token: Mapped[int] = mapped_column(sa.BigInteger)

    def __repr__(self) -> str:
        return f"<AnalyticsStoredSpan {self.span} {self.day}>"


# PostgreSQL functions of ours beside the tables (a restore drops them with the tables).
FUNCTIONS = ("analytics_mark_dirty()",)


def sqlite_triggers() -> list[str]:
    """Row triggers: a UTC day is added once (SQLite has one writer at a time, so a day
    already listed is not yet counted by anyone)."""

    def mark(row: str) -> str:
        day = f"date({row}.meta_created_at)"
        return (
            f"INSERT INTO analytics_dirty_days (day) SELECT {day} WHERE {day} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM analytics_dirty_days WHERE day = {day});"
        )

    columns = ", ".join(ROLLUP_COLUMNS)
    return [
        f"CREATE TRIGGER IF NOT EXISTS analytics_dirty_insert AFTER INSERT ON facebook_leads "
        f"BEGIN {mark('NEW')} END",
        f"CREATE TRIGGER IF NOT EXISTS analytics_dirty_update AFTER UPDATE OF {columns} "
        f"ON facebook_leads BEGIN {mark('OLD')} {mark('NEW')} END",
        f"CREATE TRIGGER IF NOT EXISTS analytics_dirty_delete AFTER DELETE ON facebook_leads "
        f"BEGIN {mark('OLD')} END",
    ]


def postgresql_triggers() -> list[str]:
    """Statement triggers over the transition tables: one INSERT per statement, whatever
    the rows. Always appended, never "if missing": a day listed by a transaction the rollup
    is counting may be cleared by it before this change commits."""
    days = "SELECT (meta_created_at AT TIME ZONE 'UTC')::date AS day FROM {} "
    function = f"""
        CREATE OR REPLACE FUNCTION analytics_mark_dirty() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO analytics_dirty_days (day)
                SELECT DISTINCT day FROM ({days.format("new_rows")}) d WHERE day IS NOT NULL;
            ELSIF TG_OP = 'UPDATE' THEN
                INSERT INTO analytics_dirty_days (day)
                SELECT day FROM ({days.format("old_rows")} UNION {days.format("new_rows")}) d
                WHERE day IS NOT NULL;
            ELSE
                INSERT INTO analytics_dirty_days (day)
                SELECT DISTINCT day FROM ({days.format("old_rows")}) d WHERE day IS NOT NULL;
            END IF;
            RETURN NULL;
        END $$"""
    trigger = (
        "DROP TRIGGER IF EXISTS analytics_dirty_{event} ON facebook_leads; "
        "CREATE TRIGGER analytics_dirty_{event} AFTER {op} ON facebook_leads "
        "REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION analytics_mark_dirty()"
    )
    return [
        function,
        trigger.format(event="insert", op="INSERT", tables="NEW TABLE AS new_rows"),
        trigger.format(
            event="update", op="UPDATE", tables="OLD TABLE AS old_rows NEW TABLE AS new_rows"
        ),
        trigger.format(event="delete", op="DELETE", tables="OLD TABLE AS old_rows"),
    ]


def create_triggers(target, connection, **_kw) -> None:
    """After `create_all` (tests, `make run`'s first start): the same triggers as migration
    0027."""
    statements = (
        postgresql_triggers() if connection.dialect.name == "postgresql" else sqlite_triggers()
    )
    for statement in statements:
        connection.exec_driver_sql(statement)


sa.event.listen(db.metadata, "after_create", create_triggers)
