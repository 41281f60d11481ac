"""SQL pieces the analytics queries share, written for both SQLite and PostgreSQL: counting
rows that match a condition, seconds between two timestamps, and a timestamp's quarter hour
(grouped in SQL, turned into local days and hours in Python, so any APP_TIMEZONE works on
SQLite too, which knows no time zones)."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead

L = FacebookLead
BUCKET_S = 900  # a quarter of an hour: every time zone's offset is a multiple of it


def count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def epoch(column: sa.ColumnElement) -> sa.ColumnElement[float]:
    if sqlite():
        return (sa.func.julianday(column) - 2440587.5) * 86400.0
    return sa.extract("epoch", column)


def seconds_between(later: sa.ColumnElement, earlier: sa.ColumnElement) -> sa.ColumnElement:
    if sqlite():
        return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0
    return sa.extract("epoch", later - earlier)


def quarter_hour(column: sa.ColumnElement) -> sa.ColumnElement[int]:
    """The number of the quarter hour (since 1970, UTC) *column* falls in."""
    return sa.cast(sa.func.floor(epoch(column) / BUCKET_S), sa.BigInteger)


def bucket_start(bucket: int) -> datetime:
    return datetime.fromtimestamp(int(bucket) * BUCKET_S, UTC)


def local_day_counts(rows: Iterable[tuple[int, int]], tz: str) -> dict[date, int]:
    """(quarter hour, count) rows summed per local day."""
    zone, counts = ZoneInfo(tz), defaultdict(int)
    for bucket, n in rows:
        counts[bucket_start(bucket).astimezone(zone).date()] += int(n or 0)
    return dict(counts)


def grouped_by_quarter_hour(query: sa.Select, column: sa.ColumnElement) -> list[tuple[int, int]]:
    """Run *query* (already filtered) as counts per quarter hour of *column*."""
    bucket = quarter_hour(column)
    rows = db.session.execute(
        query.with_only_columns(bucket, sa.func.count()).group_by(bucket)
    ).all()
    return [(int(b), int(n)) for b, n in rows]
