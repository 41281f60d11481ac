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
from app.models import FacebookLead, LeadCounter, User
from app.services import analytics_rollup as rollup
from app.services import analytics_sources, analytics_speed
from app.services.analytics_period import Period
from app.services.analytics_raw import OPEN
from app.services.analytics_stored import StoredRows
from app.services.lead_filters import LeadFilters
from app.services.lead_service import filtered_leads

L = FacebookLead
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
        self.stored = StoredRows(self.changed)
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
        """The stored days' groups (`analytics_stored`), with the changed days' counted now."""
        wanted = {name for kind in kinds for name in NEEDED.get(kind, rollup.MEASURES)}
        needed = [name for name in rollup.MEASURES if name in wanted]
        result = self.stored.summed(kinds, needed, start, end, by_day)
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


def as_id(key: str | None) -> int | None:
    return int(key) if key else None
