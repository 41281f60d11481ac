"""Analytics over a period's cohort (the leads received — `meta_created_at` — in its local days,
with the dashboard's filters): the funnel counted as "reached at least this stage" from the
milestones, speed to lead, the staff table (the cohort by current assignee), attribution
(campaign → ad set → ad, form, platform, paid/organic, treatment, country) and trends, each
compared with the previous period of the same length. Deleted leads never count; re-inquiries
and Meta test leads only when the filters ask (`duplicates=1`, `test=1`)."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, LeadTask, User
from app.services import analytics_rolled as rolled
from app.services import analytics_sources as sources
from app.services import analytics_speed as speed
from app.services.analytics_period import Period, period_from_args
from app.services.analytics_raw import RawCounts
from app.services.analytics_sql import rows
from app.services.lead_filters import LeadFilters

L = FacebookLead


@dataclass(frozen=True)
class Funnel:
    """Leads received, and how many reached at least each stage; lost and invalid now."""

    received: int
    contacted: int
    qualified: int
    converted: int
    lost: int
    invalid: int

    def stages(self) -> list[tuple[str, int]]:
        return [
            ("new", self.received),
            ("contacted", self.contacted),
            ("qualified", self.qualified),
            ("converted", self.converted),
        ]

    def rates(self) -> list[float | None]:
        """Each stage as a share of the stage before (None for the first)."""
        counts = [n for _, n in self.stages()]
        return [None] + [ratio(b, a) for a, b in zip(counts, counts[1:], strict=False)]

    @property
    def conversion(self) -> float | None:
        return ratio(self.converted, self.received)


@dataclass(frozen=True)
class StaffRow:
    user_id: int | None  # None: not assigned
    name: str | None
    assigned: int
    contacted: int
    converted: int
    open_now: int  # all their open leads now (not only the period's)
    response: speed.ResponseTimes
    overdue: int = 0  # their open follow-ups past due now

    @property
    def conversion(self) -> float | None:
        return ratio(self.converted, self.assigned)


@dataclass(frozen=True)
class TrendPoint:
    day: date
    leads: int
    average_7d: float  # the seven local days ending with this one
    previous: int  # the same day of the previous period


@dataclass(frozen=True)
class WeekPoint:
    week: date  # the Monday
    conversions: int


@dataclass(frozen=True)
class Analytics:
    period: Period
    filters: LeadFilters
    funnel: Funnel
    previous_funnel: Funnel
    speed: speed.Speed
    previous_response: speed.ResponseTimes
    by_staff: list[StaffRow]
    sources: dict[str, list[sources.SourceRow]]
    trend: list[TrendPoint]
    conversions_by_week: list[WeekPoint]
    open_by_age: list[speed.AgeBucket]
    # From the daily rollup: how many of its days were counted from the leads as this was
    # read (changed since stored); None when the leads answered everything.
    changed_days: int | None = None


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def selection(args: Mapping[str, Any], tz: str, now: datetime | None = None):
    """(filters, period) from query arguments: the dashboard's filters with the period's days
    as `date_from`/`date_to`; never deleted leads."""
    period = period_from_args(args, tz, now)
    filters = LeadFilters.from_args(args)
    return replace(filters, date_from=period.start, date_to=period.end, deleted=False), period


def build_analytics(
    user: User, filters: LeadFilters, period: Period, tz: str, now: datetime | None = None
) -> Analytics:
    """Everything the analytics page shows, for *user* (a superadmin: routes check): from
    the daily rollup when it holds the selection, else from the leads."""
    now = now or datetime.now(UTC)
    counts = rolled.for_selection(user, filters, tz) or RawCounts(user, filters, tz)
    speeds = counts.speed(period)
    span = Period("trend", period.previous.start, period.end)
    widened = Period("trend", min(span.start, period.start - timedelta(days=6)), span.end)
    return Analytics(
        period=period,
        filters=filters,
        funnel=Funnel(*counts.funnel(period)),
        previous_funnel=Funnel(*counts.funnel(period.previous)),
        speed=speeds,
        previous_response=counts.response(period.previous),
        by_staff=staff_rows(
            counts.staff_cohort(period), counts.open_now(), speeds, overdue_tasks(now)
        ),
        sources=counts.sources(period),
        trend=trend(counts.daily_received(widened), period),
        conversions_by_week=conversions_by_week(counts.daily_conversions(period), period),
        open_by_age=counts.open_by_age(now),
        changed_days=len(counts.changed) if isinstance(counts, rolled.RolledCounts) else None,
    )


def overdue_tasks(now: datetime) -> dict[int, int]:
    """Open follow-ups past due per user (on leads not deleted)."""
    query = (
        sa.select(LeadTask.user_id, sa.func.count())
        .join(L, L.id == LeadTask.lead_id)
        .where(LeadTask.done_at.is_(None), LeadTask.due_at < now, L.deleted_at.is_(None))
        .group_by(LeadTask.user_id)
    )
    return {user_id: int(n) for user_id, n in rows(query) if user_id}


def staff_rows(
    cohort_rows: list[tuple[int | None, int, int, int]],
    open_now: dict[int, int],
    speeds: speed.Speed,
    overdue: dict[int, int],
) -> list[StaffRow]:
    """The cohort by current assignee (a reassigned lead counts for whoever holds it now):
    (assignee, leads, contacted, converted) rows, and everyone's open leads now."""
    open_now = dict(open_now)
    ids = {row[0] for row in cohort_rows if row[0]} | set(open_now)
    names = dict(
        db.session.execute(sa.select(User.id, User.username).where(User.id.in_(ids))).all()
    )
    empty = speed.response_times(0, 0, (0, 0, 0), [])
    table = [
        StaffRow(
            user_id=assignee,
            name=names.get(assignee),
            assigned=int(n),
            contacted=int(contacted),
            converted=int(converted),
            open_now=int(open_now.pop(assignee, 0)) if assignee else 0,
            response=speeds.by_staff.get(assignee, empty),
            overdue=overdue.get(assignee, 0) if assignee else 0,
        )
        for assignee, n, contacted, converted in cohort_rows
    ]
    table += [StaffRow(uid, names.get(uid), 0, 0, 0, int(n), empty) for uid, n in open_now.items()]
    return sorted(table, key=lambda r: (r.user_id is None, -r.assigned, r.name or ""))


def trend(daily: dict[date, int], period: Period) -> list[TrendPoint]:
    """Leads per local day with the 7-day average, beside the previous period's same day
    (*daily*: counts from six days before the previous period to the period's end)."""
    points = []
    for index, day in enumerate(period.day_list()):
        week = [daily.get(day - timedelta(days=n), 0) for n in range(7)]
        previous_day = period.previous.start + timedelta(days=index)
        points.append(TrendPoint(day, daily.get(day, 0), sum(week) / 7, daily.get(previous_day, 0)))
    return points


def conversions_by_week(daily: dict[date, int], period: Period) -> list[WeekPoint]:
    """Conversions that happened in the period (any lead's), per local week (Monday)."""
    weeks: dict[date, int] = {}
    for day in period.day_list():
        monday = day - timedelta(days=day.weekday())
        weeks[monday] = weeks.get(monday, 0) + daily.get(day, 0)
    return [WeekPoint(week, n) for week, n in weeks.items()]


@dataclass(frozen=True)
class Kpi:
    """A headline figure beside the previous period's."""

    key: str
    value: float | None
    previous: float | None
    kind: str  # count | ratio | duration
    lower_is_better: bool = False

    @property
    def direction(self) -> str:
        """up, down or same against the previous period ("" when either is unknown)."""
        if self.value is None or self.previous is None:
            return ""
        return (
            "up" if self.value > self.previous else "down" if self.value < self.previous else "same"
        )

    @property
    def improved(self) -> bool | None:
        if self.direction in ("", "same"):
            return None
        return (self.direction == "down") == self.lower_is_better

    @property
    def change(self) -> float | None:
        """Relative change (counts and durations) or the difference in points (ratios)."""
        if self.value is None or self.previous is None:
            return None
        if self.kind == "ratio":
            return self.value - self.previous
        return (self.value - self.previous) / self.previous if self.previous else None


def headline(result: Analytics) -> list[Kpi]:
    """The figures at the top of the page, each compared with the previous period."""
    now, before = result.funnel, result.previous_funnel
    fast, fast_before = result.speed.overall, result.previous_response
    return [
        Kpi("received", now.received, before.received, "count"),
        Kpi(
            "contact_rate",
            ratio(now.contacted, now.received),
            ratio(before.contacted, before.received),
            "ratio",
        ),
        Kpi("converted", now.converted, before.converted, "count"),
        Kpi("conversion", now.conversion, before.conversion, "ratio"),
        Kpi("median_response", fast.median_s, fast_before.median_s, "duration", True),
        Kpi("within_5m", fast.share_within(300), fast_before.share_within(300), "ratio"),
    ]
