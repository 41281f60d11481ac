"""The daily rollup behind analytics at a million leads (DESIGN.md "Analytics"): for each local
day of receipt (APP_TIMEZONE), the day's leads counted once for each way the page groups
them, so a period reads a few rows per day instead of every lead.

Counting happens in one place, `day_groups` (one statement per run of days: each lead read
once, grouped every way), for both uses: storing days (`flush_batch`, from the scheduler and
`flask analytics rebuild`; its weeks' and months' rows are then summed from the days) and
reading days
that changed since they were stored (`changed_days`: `analytics_rolled` counts those from
the leads as it reads, so a figure is never behind). The database marks a changed day itself
(triggers, app/models/analytics.py), so no writer can forget to. Only the default selection
is rolled up (not deleted, no re-inquiries, no Meta test leads, as a superadmin sees it);
other filters read the leads."""

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.database import among, insert_many
from app.extensions import db
from app.models import (
    AnalyticsDaily,
    AnalyticsDirtyDay,
    AnalyticsStoredSpan,
    AppSetting,
    FacebookLead,
    LeadStatus,
)
from app.services.analytics_period import local_midnight
from app.services.analytics_raw import REACHED
from app.services.analytics_sources import DIMENSIONS, key_text
from app.services.analytics_speed import WITHIN_S, histogram_bucket, response_seconds
from app.services.analytics_sql import BUCKET_S, epoch, rows, steady_offset, whole

L = FacebookLead
DAILY = AnalyticsDaily.__table__
DIRTY = AnalyticsDirtyDay.__table__
SPANS = AnalyticsStoredSpan.__table__
ZONE_KEY = "analytics_rollup_zone"
LOCK_ID = 7_312_012  # PostgreSQL advisory lock: one writer of the rollup at a time
MEASURES = (
    "leads",
    "reached",
    "first_contacted",
    "qualified",
    "converted",
    "lost",
    "invalid",
    "within_300",
    "within_3600",
    "within_86400",
    "score_total",
)
WAITING = (LeadStatus.NEW, LeadStatus.ASSIGNED)
LOCAL_EPOCH = datetime(1970, 1, 1)
DAILY_ONLY = ("converted", "waiting")  # read over every day, never by week or month
Key = tuple[str, str | None, str | None, str | None]  # kind, k1, k2, k3


@dataclass
class Group:
    """The sums of one group of one day's leads (and the largest name seen per key)."""

    counts: list[int] = field(default_factory=lambda: [0] * len(MEASURES))
    names: list[str | None] = field(default_factory=lambda: [None, None, None])

    def add(self, counts: Sequence[int]) -> None:
        for index, n in enumerate(counts):
            self.counts[index] += n

    def name(self, names: Sequence[str | None]) -> None:
        for index, value in enumerate(names):
            if value is not None and (self.names[index] is None or value > self.names[index]):
                self.names[index] = value

    def measure(self, name: str) -> int:
        return self.counts[MEASURES.index(name)]


def counted() -> sa.Select:
    """The rolled-up selection: what the default filters show a superadmin."""
    return sa.select(L.id).where(
        L.deleted_at.is_(None), L.duplicate_of_id.is_(None), L.is_test.is_(False)
    )


class LocalTime:
    """Local time buckets of a timestamp column in SQL: whole local days (or hours) when the
    zone keeps one UTC offset over the span, else quarter hours folded in Python."""

    def __init__(self, tz: str, span: tuple[datetime, datetime]) -> None:
        self.zone, self.offset = ZoneInfo(tz), steady_offset(tz, *span)

    def size(self, size: int) -> int:
        """The bucket size used for a wish of *size* seconds."""
        return size if self.offset is not None else BUCKET_S

    def key(self, column: sa.ColumnElement, size: int) -> sa.ColumnElement[int]:
        """The bucket number of *column* (buckets of `size(size)` seconds)."""
        return whole((epoch(column) + (self.offset or 0)) / self.size(size))

    def local(self, bucket: int, size: int) -> datetime:
        """The bucket's start as a naive local time."""
        if self.offset is not None:
            return LOCAL_EPOCH + timedelta(seconds=int(bucket) * size)
        moment = datetime.fromtimestamp(int(bucket) * size, UTC).astimezone(self.zone)
        return moment.replace(tzinfo=None)


def facts(clock: LocalTime, bounds: tuple[datetime, datetime]) -> sa.CTE:
    """Each counted lead received within *bounds*, read once, as the keys it is grouped by
    and 0/1 flags of what it reached (the raw queries' own conditions)."""
    contacted, converted = L.first_contacted_at.is_not(None), L.converted_at.is_not(None)
    seconds = response_seconds()
    waiting = sa.and_(L.status.in_([s.value for s in WAITING]), L.first_contacted_at.is_(None))

    def flag(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.case((condition, 1), else_=0)

    query = counted().with_only_columns(
        clock.key(L.meta_created_at, 86400).label("day"),
        clock.key(L.created_at, 3600).label("hour"),
        sa.case((converted, clock.key(L.converted_at, 86400))).label("converted_day"),
        sa.case((contacted, histogram_bucket(seconds))).label("bucket"),
        L.assigned_to_id,
        L.campaign_id,
        L.adset_id,
        L.ad_id,
        L.campaign_name,
        L.adset_name,
        L.ad_name,
        *DIMENSIONS.values(),
        sa.literal(1).label("leads"),
        flag(REACHED["contacted"]).label("reached"),
        flag(contacted).label("first_contacted"),
        flag(REACHED["qualified"]).label("qualified"),
        flag(REACHED["converted"]).label("converted"),
        flag(L.status == LeadStatus.LOST.value).label("lost"),
        flag(L.status == LeadStatus.INVALID.value).label("invalid"),
        *(flag(sa.and_(contacted, seconds <= n)).label(f"within_{n}") for n in WITHIN_S),
        sa.func.coalesce(L.score, 0).label("score_total"),
        flag(waiting).label("waiting"),
    )
    query = query.where(L.meta_created_at >= bounds[0], L.meta_created_at < bounds[1])
    return query.cte("facts").prefix_with("MATERIALIZED")


def grouped(facts: sa.CTE) -> sa.CompoundSelect:
    """Every kind of group of the facts in one statement (the leads are read once)."""
    f = facts.c
    text = sa.String()
    names = [sa.func.max(f.campaign_name), sa.func.max(f.adset_name), sa.func.max(f.ad_name)]
    parts = [
        ("staff", [f.assigned_to_id], None),
        ("hour", [f.hour], None),
        ("campaign", [f.campaign_id, f.adset_id, f.ad_id], None),
        *((kind, [f[column.key]], None) for kind, column in DIMENSIONS.items()),
        ("response", [f.assigned_to_id, f.bucket], f.first_contacted == 1),
        ("converted", [f.converted_day], f.converted == 1),
        ("waiting", [], f.waiting == 1),
    ]
    selects = []
    for kind, keys, condition in parts:
        padded = [sa.cast(key, text) for key in keys] + [sa.cast(sa.null(), text)] * (3 - len(keys))
        labels = names if kind == "campaign" else [sa.cast(sa.null(), text)] * 3
        query = sa.select(
            sa.literal(kind, text), f.day, *padded, *labels, *(sa.func.sum(f[m]) for m in MEASURES)
        ).group_by(f.day, *keys)
        selects.append(query if condition is None else query.where(condition))
    return sa.union_all(*selects)


def day_groups(days: Iterable[date], tz: str) -> dict[date, dict[Key, Group]]:
    """Every group of each local day in *days*, counted from its leads: one statement per
    run of consecutive days."""
    result: dict[date, dict[Key, Group]] = {}
    for start, end in runs(sorted(set(days))):
        for day in day_range(start, end):
            result[day] = {}
        bounds = (local_midnight(start, tz), local_midnight(end + timedelta(days=1), tz))
        clock = LocalTime(tz, (bounds[0] - timedelta(days=1), datetime.now(UTC) + timedelta(1)))
        for kind, bucket, *values in rows(grouped(facts(clock, bounds))):
            day = clock.local(bucket, clock.size(86400)).date()
            key = (kind, *group_keys(kind, values[:3], clock))
            group = result[day].setdefault(key, Group())
            group.add([int(n or 0) for n in values[6:]])
            group.name(values[3:6])
    return result


def group_keys(kind: str, found: list, clock: LocalTime) -> list[str | None]:
    """A group's keys as stored, from their SQL text."""
    if kind == "hour":
        moment = clock.local(int(found[0]), clock.size(3600))
        return [str(moment.weekday() * 24 + moment.hour), None, None]
    if kind == "converted":
        moment = clock.local(int(found[0]), clock.size(86400))
        return [moment.date().isoformat(), None, None]
    if kind == "response":
        return [staff_key(found[0]), str(max(float(found[1]), 0.0)), None]
    if kind == "staff":
        return [staff_key(found[0]), None, None]
    if kind == "organic":
        return [key_text(found[0] in ("1", "true")) if found[0] is not None else None, None, None]
    return list(found)


def staff_key(text: str | None) -> str | None:
    return None if text is None else str(int(float(text)))


def runs(days: Sequence[date]) -> list[tuple[date, date]]:
    """Sorted days as runs of consecutive days, at most a month each (one query a run)."""
    result: list[tuple[date, date]] = []
    for day in days:
        if result and day - result[-1][1] == timedelta(days=1) and (day - result[-1][0]).days < 31:
            result[-1] = (result[-1][0], day)
        else:
            result.append((day, day))
    return result


def day_range(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def local_days(utc_day: date, zone: ZoneInfo) -> set[date]:
    """The local days a UTC day overlaps (one or two)."""
    first = datetime.combine(utc_day, datetime.min.time(), UTC)
    last = first + timedelta(days=1) - timedelta(microseconds=1)
    return {first.astimezone(zone).date(), last.astimezone(zone).date()}


def stored_zone() -> str | None:
    setting = db.session.get(AppSetting, ZONE_KEY)
    return setting.value if setting else None


def changed_days(tz: str) -> set[date] | None:
    """The local days to count from the leads (marked changed since stored); None when the
    rollup was stored in another time zone (or never): then it cannot answer at all."""
    if stored_zone() != tz:
        return None
    zone = ZoneInfo(tz)
    marked = db.session.execute(sa.select(DIRTY.c.day).distinct()).scalars()
    return {local for day in marked for local in local_days(day, zone)}


def flush_batch(tz: str, max_days: int = 31) -> int:
    """Store the rollup of the changed days (the earliest *max_days* marked UTC days), and
    clear the marks read; returns how many local days were stored (0: nothing was left).
    A change committed while this runs keeps its own mark. Caller commits (per batch)."""
    lock()
    if stored_zone() != tz:
        restart(tz)
    marks = db.session.execute(sa.select(DIRTY.c.id, DIRTY.c.day).order_by(DIRTY.c.day)).all()
    chosen = sorted({day for _id, day in marks})[:max_days]
    if not chosen:
        return 0
    zone = ZoneInfo(tz)
    days = sorted({local for day in chosen for local in local_days(day, zone)})
    store(day_groups(days, tz))
    ids = [mark_id for mark_id, day in marks if day in set(chosen)]
    for start in range(0, len(ids), 10_000):
        db.session.execute(sa.delete(DIRTY).where(among(DIRTY.c.id, ids[start : start + 10_000])))
    return len(days)


def store(groups: dict[date, dict[Key, Group]]) -> None:
    """Replace the stored rows of each day with *groups*, and the rows of their weeks and
    months."""
    if not groups:
        return
    db.session.execute(sa.delete(DAILY).where(DAILY.c.day.in_(list(groups)), DAILY.c.span == "day"))
    rows = [
        {
            "day": day,
            "span": "day",
            "kind": kind,
            "k1": k1,
            "k2": k2,
            "k3": k3,
            **dict(zip(("n1", "n2", "n3"), group.names, strict=True)),
            **dict(zip(MEASURES, group.counts, strict=True)),
        }
        for day, day_groups_ in groups.items()
        for (kind, k1, k2, k3), group in day_groups_.items()
    ]
    for start in range(0, len(rows), 5_000):
        insert_many(DAILY, rows[start : start + 5_000])
    written = [("day", day) for day in groups]
    for span in ("week", "month"):
        for first in sorted({span_start(day, span) for day in groups}):
            store_span(span, first)
            written.append((span, first))
    renew_tokens(written)


def renew_tokens(spans: list[tuple[str, date]]) -> None:
    """A new token for each (span, first day) whose rows were just stored."""
    for span in ("day", "week", "month"):
        days = [day for each, day in spans if each == span]
        if days:
            db.session.execute(sa.delete(SPANS).where(SPANS.c.span == span, SPANS.c.day.in_(days)))
    token = secrets.randbits(62)
    insert_many(SPANS, [{"span": span, "day": day, "token": token} for span, day in spans])


def store_span(span: str, first: date) -> None:
    """A week's or a month's rows again: the sums of its days' rows, group by group."""
    db.session.execute(sa.delete(DAILY).where(DAILY.c.span == span, DAILY.c.day == first))
    keys = [DAILY.c.kind, DAILY.c.k1, DAILY.c.k2, DAILY.c.k3]
    names = [sa.func.max(DAILY.c[name]) for name in ("n1", "n2", "n3")]
    sums = [sa.func.sum(DAILY.c[name]) for name in MEASURES]
    summed = (
        sa.select(sa.literal(first, sa.Date()), sa.literal(span), *keys, *names, *sums)
        .where(DAILY.c.span == "day", DAILY.c.day >= first, DAILY.c.day <= span_end(first, span))
        .where(DAILY.c.kind.not_in(DAILY_ONLY))
        .group_by(*keys)
    )
    columns = ["day", "span", "kind", "k1", "k2", "k3", "n1", "n2", "n3", *MEASURES]
    db.session.execute(sa.insert(DAILY).from_select(columns, summed))


def span_start(day: date, span: str) -> date:
    """The first day of the week (Monday) or month *day* is in."""
    return day - timedelta(days=day.weekday()) if span == "week" else day.replace(day=1)


def span_end(first: date, span: str) -> date:
    if span == "week":
        return first + timedelta(days=6)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def lock() -> None:
    """One writer of the rollup at a time (PostgreSQL; SQLite has one writer anyway)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_ID)))


def restart(tz: str) -> None:
    """Forget the stored rollup and mark every day with leads as changed (a first build, or
    APP_TIMEZONE changed: local days moved)."""
    lock()
    db.session.execute(sa.delete(DAILY))
    db.session.execute(sa.delete(SPANS))
    db.session.execute(sa.delete(DIRTY))
    utc_day = sa.func.date(L.meta_created_at)
    if db.session.get_bind().dialect.name == "postgresql":
        utc_day = sa.cast(sa.func.timezone("UTC", L.meta_created_at), sa.Date)
    every_day = sa.select(utc_day).where(L.meta_created_at.is_not(None)).distinct()
    db.session.execute(sa.insert(DIRTY).from_select(["day"], every_day))
    setting = db.session.get(AppSetting, ZONE_KEY) or AppSetting(key=ZONE_KEY)
    setting.value = tz
    db.session.add(setting)
    db.session.flush()
