"""SQL pieces the analytics queries share, written for both SQLite and PostgreSQL: counting
rows that match a condition, seconds between two timestamps, and grouping by local day or by
local weekday × hour.

SQLite knows no time zones, so local time is computed from epoch seconds: when APP_TIMEZONE
keeps one UTC offset over the whole range (Istanbul has since 2016), the offset is added in
SQL and rows are grouped by local day or hour of the week directly; otherwise they are grouped
by quarter hour (every zone's offset is a multiple of it) and folded into local days in Python.
The database returns a few hundred rows either way, never one per lead."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.extensions import db

BUCKET_S = 900
EPOCH_DAY = date(1970, 1, 1)  # a Thursday
THURSDAY = 3


def count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def rows(query: sa.Select) -> list[sa.Row]:
    """Run an aggregate query as plain Core (no ORM row handling: thousands of small rows)."""
    return db.session.connection().execute(query).all()


def epoch(column: sa.ColumnElement) -> sa.ColumnElement[float]:
    if sqlite():
        return (sa.func.julianday(column) - 2440587.5) * 86400.0
    return sa.cast(sa.extract("epoch", column), sa.Float)


def seconds_between(later: sa.ColumnElement, earlier: sa.ColumnElement) -> sa.ColumnElement:
    if sqlite():
        return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0
    return sa.cast(sa.extract("epoch", later - earlier), sa.Float)


def steady_offset(tz: str, start: datetime, end: datetime) -> int | None:
    """The zone's UTC offset in seconds if it is the same all through [start, end]."""
    zone = ZoneInfo(tz)
    moments = [start, end] + [start + timedelta(days=n) for n in range(0, (end - start).days, 30)]
    offsets = {moment.astimezone(zone).utcoffset() for moment in moments}
    if len(offsets) != 1:
        return None
    return int(offsets.pop().total_seconds())


def whole(expression: sa.ColumnElement) -> sa.ColumnElement[int]:
    return sa.cast(sa.func.floor(expression), sa.BigInteger)


def local_day_rows(
    query: sa.Select, column: sa.ColumnElement, tz: str, span: tuple[datetime, datetime]
) -> dict[date, int]:
    """Counts of *query*'s rows per local day of *column* (span: the range it covers)."""
    offset = steady_offset(tz, *span)
    size = 86400 if offset is not None else BUCKET_S
    key = whole((epoch(column) + (offset or 0)) / size)
    counts: dict[date, int] = defaultdict(int)
    zone = ZoneInfo(tz)
    for bucket, n in rows(query.with_only_columns(key, sa.func.count()).group_by(key)):
        if offset is not None:
            day = EPOCH_DAY + timedelta(days=int(bucket))
        else:
            day = datetime.fromtimestamp(int(bucket) * BUCKET_S, UTC).astimezone(zone).date()
        counts[day] += int(n)
    return dict(counts)


def week_hour_rows(
    query: sa.Select,
    column: sa.ColumnElement,
    measures: Sequence[sa.ColumnElement],
    tz: str,
    span: tuple[datetime, datetime],
) -> dict[tuple[int, int], list[int]]:
    """*measures* summed per local (weekday, hour) of *column*; Monday = 0."""
    offset = steady_offset(tz, *span)
    quarter = whole((epoch(column) + (offset or 0)) / BUCKET_S)
    key = quarter % (7 * 96) if offset is not None else quarter
    cells: dict[tuple[int, int], list[int]] = {}
    zone = ZoneInfo(tz)
    for bucket, *values in rows(query.with_only_columns(key, *measures).group_by(key)):
        if offset is not None:
            days, quarters = divmod(int(bucket), 96)
            cell = ((days + THURSDAY) % 7, quarters // 4)
        else:
            local = datetime.fromtimestamp(int(bucket) * BUCKET_S, UTC).astimezone(zone)
            cell = (local.weekday(), local.hour)
        totals = cells.setdefault(cell, [0] * len(values))
        for index, value in enumerate(values):
            totals[index] += int(value or 0)
    return cells
