"""Analytics figures read from the daily rollup (`analytics_rollup`): the same figures, with the
same meaning, as the raw queries of `analytics` give for the default selection, from a few
rows per day. Days marked changed since they were stored are counted from their leads as
this reads (so the figures are never behind); when too many are, or the rollup was stored for
another time zone, the rollup does not answer and the raw queries do."""

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import AnalyticsDaily, FacebookLead, LeadCounter, User
from app.services import analytics_rollup as rollup
from app.services import analytics_sources, analytics_speed
from app.services.analytics_period import Period
from app.services.analytics_raw import OPEN
from app.services.analytics_sql import rows
from app.services.lead_filters import LeadFilters
from app.services.lead_service import filtered_leads

L = FacebookLead
DAILY = AnalyticsDaily.__table__
COUNTERS = LeadCounter.__table__
# Beyond this many changed days (say, right after an upgrade, before the scheduler stored
# them) counting them as the page reads would be slower than the raw queries.
MAX_CHANGED_DAYS = 31
RECENT = timedelta(days=7)  # open leads younger than this are aged from their own times
Row = analytics_sources.SourceRow
SOURCE_MEASURES = ("leads", "reached", "converted", "score_total")
SOURCE_KINDS = ("campaign", *analytics_sources.DIMENSIONS)
READ_WITH = {  # kinds a view reads together, in one statement
    "staff": ("staff", "hour"),
    "hour": ("staff", "hour"),
    **{kind: SOURCE_KINDS for kind in SOURCE_KINDS},
}
NEEDED = {  # the measures each kind of group is read for (a count alone reads the index)
    "response": ("leads",),
    "converted": ("leads",),
    "waiting": ("leads",),
    "hour": ("leads", "first_contacted", "within_3600"),
    "campaign": SOURCE_MEASURES,
    **{kind: SOURCE_MEASURES for kind in analytics_sources.DIMENSIONS},
}

Totals = dict[tuple, rollup.Group]


def answers(user: User, filters: LeadFilters) -> bool:
    """Whether the rollup holds this selection: a superadmin's, with no filter but the days."""
    plain = replace(filters, date_from=None, date_to=None, sort=LeadFilters().sort)
    return user.is_superadmin and plain == LeadFilters()


def for_selection(user: User, filters: LeadFilters, tz: str) -> "RolledCounts | None":
    if not answers(user, filters):
        return None
    changed = rollup.changed_days(tz)
    if changed is None or len(changed) > MAX_CHANGED_DAYS:
        return None
    return RolledCounts(user, tz, changed)


class RolledCounts:
    """The figures of the default selection: stored days from the rollup, changed days
    counted now."""

    def __init__(self, user: User, tz: str, changed: set[date]) -> None:
        self.user, self.tz, self.changed = user, tz, sorted(changed)
        self.live = rollup.day_groups(changed, tz)
        self.read: dict[tuple, Totals] = {}

    def totals(
        self, kind: str, start: date | None = None, end: date | None = None, by_day: bool = False
    ) -> Totals:
        """The groups of *kind* summed over the days start … end (None: open-ended), keyed
        by (k1, k2, k3), or by (day, k1, k2, k3); read once per view, with the kinds read
        beside it (READ_WITH)."""
        if (kind, start, end, by_day) not in self.read:
            kinds = (kind,) if by_day else READ_WITH.get(kind, (kind,))
            for each, totals in self.summed(kinds, start, end, by_day).items():
                self.read[(each, start, end, by_day)] = totals
        return self.read[(kind, start, end, by_day)]

    def summed(
        self, kinds: tuple[str, ...], start: date | None, end: date | None, by_day: bool
    ) -> dict[str, Totals]:
        keys = ["kind"] + ["day"] * by_day + ["k1", "k2", "k3"]
        wanted = {name for kind in kinds for name in NEEDED.get(kind, rollup.MEASURES)}
        needed = [name for name in rollup.MEASURES if name in wanted]
        columns = [DAILY.c[name] for name in (*keys, "n1", "n2", "n3", *needed)]
        # A branch per kind of stored row (an OR of them would not use the index), summed
        # again in one statement.
        parts = [
            sa.select(*columns).where(DAILY.c.kind.in_(kinds), part)
            for part in self.stored_rows(start, end, by_day)
        ]
        stored = (sa.union_all(*parts) if len(parts) > 1 else parts[0]).subquery()
        query = sa.select(
            *(stored.c[name] for name in keys),
            *(sa.func.max(stored.c[name]) for name in ("n1", "n2", "n3")),
            *(sa.func.sum(stored.c[name]) for name in needed),
        ).group_by(*(stored.c[name] for name in keys))
        width = len(keys)
        result: dict[str, Totals] = {kind: {} for kind in kinds}
        positions = [rollup.MEASURES.index(name) for name in needed]
        for row in rows(query):
            counts = [0] * len(rollup.MEASURES)
            for position, n in zip(positions, row[width + 3 :], strict=True):
                counts[position] = int(n or 0)
            group = rollup.Group(counts, list(row[width : width + 3]))
            result[row[0]][tuple(row[1:width])] = group
        for day, groups in self.live.items():
            if (start is not None and day < start) or (end is not None and day > end):
                continue
            for (group_kind, *group_keys), group in groups.items():
                if group_kind in result:
                    key = ((day,) * by_day) + tuple(group_keys)
                    target = result[group_kind].setdefault(key, rollup.Group())
                    target.add(group.counts)
                    target.name(group.names)
        return result

    def stored_rows(
        self, start: date | None, end: date | None, by_day: bool
    ) -> list[sa.ColumnElement[bool]]:
        """The stored rows that hold start … end once: its whole months, then whole weeks,
        not changed since (unless *by_day*), and the day rows of its other days not changed
        since."""
        parts, runs = [], [(start, end)]
        if not by_day and start is not None and end is not None:
            for span in ("month", "week"):
                whole = [first for a, b in runs for first in self.whole_spans(a, b, span)]
                if whole:
                    parts.append(sa.and_(DAILY.c.span == span, DAILY.c.day.in_(whole)))
                    runs = [run for a, b in runs for run in outside(a, b, whole, span)]
        for first, last in runs:
            days = [DAILY.c.span == "day"]
            if first is not None:
                days.append(DAILY.c.day >= first)
            if last is not None:
                days.append(DAILY.c.day <= last)
            if self.changed:
                days.append(DAILY.c.day.not_in(self.changed))
            parts.append(sa.and_(*days))
        return parts

    def whole_spans(self, start: date, end: date, span: str) -> list[date]:
        """The first days of the weeks or months wholly inside start … end with no changed
        day."""
        found, first = [], rollup.span_start(start, span)
        while first <= end:
            last = rollup.span_end(first, span)
            changed = any(first <= day <= last for day in self.changed)
            if first >= start and last <= end and not changed:
                found.append(first)
            first = last + timedelta(days=1)
        return found

    def funnel(self, period: Period) -> tuple[int, ...]:
        """received, contacted, qualified, converted (reached at least), lost, invalid."""
        names = ("leads", "reached", "qualified", "converted", "lost", "invalid")
        staff = self.totals("staff", period.start, period.end).values()
        return tuple(sum(group.measure(name) for group in staff) for name in names)

    def staff_cohort(self, period: Period) -> list[tuple[int | None, int, int, int]]:
        """(assignee, leads, contacted, converted) of the period's cohort."""
        return [
            (as_id(k1), g.measure("leads"), g.measure("reached"), g.measure("converted"))
            for (k1, _k2, _k3), g in self.totals("staff", period.start, period.end).items()
        ]

    def responses(self, period: Period) -> dict[int | None, analytics_speed.ResponseTimes]:
        histograms: dict[int | None, list[tuple[float, int]]] = defaultdict(list)
        for (k1, bucket, _k3), group in self.totals("response", period.start, period.end).items():
            histograms[as_id(k1)].append((float(bucket), group.measure("leads")))
        within = [f"within_{limit}" for limit in analytics_speed.WITHIN_S]
        return {
            as_id(k1): analytics_speed.response_times(
                g.measure("leads"),
                g.measure("first_contacted"),
                [g.measure(name) for name in within],
                histograms.get(as_id(k1), []),
            )
            for (k1, _k2, _k3), g in self.totals("staff", period.start, period.end).items()
        }

    def speed(self, period: Period) -> analytics_speed.Speed:
        by_staff = self.responses(period)
        hours = self.totals("hour", period.start, period.end)
        cells = sorted(
            (divmod(int(k1), 24), g) for (k1, _k2, _k3), g in hours.items() if g.measure("leads")
        )
        return analytics_speed.Speed(
            overall=analytics_speed.combined(by_staff),
            by_staff=by_staff,
            heatmap=[
                analytics_speed.HeatCell(
                    day,
                    hour,
                    g.measure("leads"),
                    g.measure("first_contacted"),
                    g.measure("within_3600"),
                )
                for (day, hour), g in cells
            ],
        )

    def response(self, period: Period) -> analytics_speed.ResponseTimes:
        return analytics_speed.combined(self.responses(period))

    def sources(self, period: Period) -> dict[str, list[analytics_sources.SourceRow]]:
        def measures(g: rollup.Group) -> tuple[int, ...]:
            return tuple(g.measure(name) for name in SOURCE_MEASURES)

        ads = self.totals("campaign", period.start, period.end)
        tables = {
            "campaign": analytics_sources.nest(
                [(keys, tuple(g.names), measures(g)) for keys, g in ads.items()], 0
            )
        }
        for kind in analytics_sources.DIMENSIONS:
            groups = self.totals(kind, period.start, period.end)
            found = (Row(k1, None, *measures(g)) for (k1, _k2, _k3), g in groups.items())
            tables[kind] = analytics_sources.ordered(found)
        return analytics_sources.labelled(tables)

    def daily_received(self, span: Period) -> dict[date, int]:
        staff = self.totals("staff", span.start, span.end, by_day=True)
        daily: dict[date, int] = defaultdict(int)
        for (day, *_keys), group in staff.items():
            daily[day] += group.measure("leads")
        return dict(daily)

    def daily_conversions(self, period: Period) -> dict[date, int]:
        """Conversions that happened on each day of the period (leads received any day)."""
        daily: dict[date, int] = defaultdict(int)
        for (k1, _k2, _k3), group in self.totals("converted").items():
            day = date.fromisoformat(k1)
            if period.start <= day <= period.end:
                daily[day] += group.measure("leads")
        return dict(daily)

    def open_now(self) -> dict[int, int]:
        """Each staff member's open leads now, from the status counters."""
        query = (
            sa.select(COUNTERS.c.assigned_to_id, sa.func.sum(COUNTERS.c.n))
            .where(
                COUNTERS.c.hidden.is_(False),
                COUNTERS.c.status.in_(OPEN),
                COUNTERS.c.assigned_to_id != 0,
            )
            .group_by(COUNTERS.c.assigned_to_id)
        )
        return {assignee: int(n) for assignee, n in db.session.execute(query) if n}

    def open_by_age(self, now: datetime) -> list[analytics_speed.AgeBucket]:
        """Open leads nobody contacted, by age: the last week's from their own times, the
        older ones as all waiting leads (the rollup) less the last week's."""
        leads = filtered_leads(self.user, LeadFilters(), self.tz).order_by(None)
        young = analytics_speed.open_not_contacted(leads.where(L.created_at > now - RECENT), now)
        waiting = sum(g.measure("leads") for g in self.totals("waiting").values())
        older = waiting - sum(bucket.leads for bucket in young[:-1])
        return young[:-1] + [analytics_speed.AgeBucket(young[-1].key, older)]


def outside(
    start: date | None, end: date | None, firsts: list[date], span: str
) -> list[tuple[date | None, date | None]]:
    """The runs of days from start to end (None: open-ended) outside the whole weeks or
    months starting on *firsts* (in order; those inside start … end count)."""
    inside = [f for f in firsts if (start is None or f >= start) and (end is None or f <= end)]
    runs: list[tuple[date | None, date | None]] = []
    cursor = start
    for first in inside:
        if cursor is None or cursor < first:
            runs.append((cursor, first - timedelta(days=1)))
        cursor = rollup.span_end(first, span) + timedelta(days=1)
    if end is None or cursor is None or cursor <= end:
        runs.append((cursor, end))
    return runs


def as_id(key: str | None) -> int | None:
    return int(key) if key else None
