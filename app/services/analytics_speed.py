"""Speed to lead: the wall-clock time from storing a lead (`created_at`, when the response
clock starts) to its first contact attempt (`first_contacted_at`): median, p90 and the share
of the leads received that were contacted within 5 minutes, an hour and a day, overall, by
staff member and by local weekday × hour; and the open leads nobody has contacted yet, by age.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.models import FacebookLead, LeadStatus
from app.services.analytics_sql import count_if, rows, seconds_between, week_hour_rows

L = FacebookLead
WITHIN_S = (300, 3600, 86400)
AGE_BUCKETS = (  # (key, younger than) of open, never-contacted leads
    ("under_1h", timedelta(hours=1)),
    ("1h_24h", timedelta(hours=24)),
    ("1d_3d", timedelta(days=3)),
    ("3d_7d", timedelta(days=7)),
    ("over_7d", None),
)


@dataclass(frozen=True)
class ResponseTimes:
    """Response times of *contacted* of *received* leads, in seconds."""

    received: int
    contacted: int
    median_s: float | None
    p90_s: float | None
    within: dict[int, int]  # seconds → leads first contacted within that time
    histogram: tuple[tuple[float, int], ...] = ()  # (response bucket, leads): percentiles

    def share_within(self, seconds: int) -> float | None:
        return self.within[seconds] / self.received if self.received else None


@dataclass(frozen=True)
class HeatCell:
    """Leads stored in one local weekday × hour, and how many were contacted within an hour."""

    weekday: int  # 0 = Monday
    hour: int
    received: int
    contacted: int
    within_hour: int

    @property
    def share_within_hour(self) -> float:
        return self.within_hour / self.received if self.received else 0.0

    @property
    def band(self) -> int:
        """0: at least 80 % within an hour, 1: 50 %, 2: 20 %, 3: less."""
        return sum(1 for floor in (0.8, 0.5, 0.2) if self.share_within_hour < floor)


@dataclass(frozen=True)
class Speed:
    overall: ResponseTimes
    by_staff: dict[int | None, ResponseTimes]
    heatmap: list[HeatCell]

    def grid(self) -> list[list[HeatCell | None]]:
        """The heat map as 7 weekdays × 24 hours (None: no leads)."""
        cells = {(cell.weekday, cell.hour): cell for cell in self.heatmap}
        return [[cells.get((day, hour)) for hour in range(24)] for day in range(7)]


@dataclass(frozen=True)
class AgeBucket:
    key: str
    leads: int


def response_seconds() -> sa.ColumnElement:
    return seconds_between(L.first_contacted_at, L.created_at)


# Response-time histogram steps (below, step): half a minute under ten minutes, coarser later;
# the median and p90 are read from these counts, to within a step (the daily rollup keeps one
# histogram per staff member and day: finer steps would make it one row per lead).
STEPS = ((600, 30), (3600, 120), (6 * 3600, 600), (86400, 1800), (7 * 86400, 7200))
LAST_STEP = 86400


def histogram_bucket(seconds: sa.ColumnElement) -> sa.ColumnElement:
    """The response time's bucket (its lower edge, in seconds), from the whole seconds
    (SQLite's julianday arithmetic makes 180 s 179.99999…)."""
    seconds = sa.func.round(seconds)
    return sa.case(
        *((seconds < below, sa.func.floor(seconds / step) * step) for below, step in STEPS),
        else_=sa.func.floor(seconds / LAST_STEP) * LAST_STEP,
    )


def percentile(histogram: Sequence[tuple[float, int]], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks (PostgreSQL's percentile_cont) over
    (value, count) pairs."""
    ordered = sorted((value, n) for value, n in histogram if n)
    total = sum(n for _, n in ordered)
    if not total:
        return None
    position = (total - 1) * fraction
    low_rank = int(position)
    low = value_at(ordered, low_rank)
    high = value_at(ordered, min(low_rank + 1, total - 1))
    return low + (high - low) * (position - low_rank)


def value_at(ordered: Sequence[tuple[float, int]], rank: int) -> float:
    seen = 0
    for value, n in ordered:
        seen += n
        if rank < seen:
            return value
    return ordered[-1][0]


def response_times(
    received: int, contacted: int, within: Sequence[int], histogram: Sequence[tuple[float, int]]
) -> ResponseTimes:
    return ResponseTimes(
        received=received,
        contacted=contacted,
        median_s=percentile(histogram, 0.5),
        p90_s=percentile(histogram, 0.9),
        within=dict(zip(WITHIN_S, (int(n) for n in within), strict=True)),
        histogram=tuple(sorted(histogram)),
    )


def responses_by_staff(cohort: sa.Select) -> dict[int | None, ResponseTimes]:
    """Response times of the cohort per current assignee (two grouped queries)."""
    seconds = response_seconds()
    contacted = L.first_contacted_at.is_not(None)
    totals = rows(
        cohort.with_only_columns(
            L.assigned_to_id,
            sa.func.count(),
            count_if(contacted),
            *(count_if(sa.and_(contacted, seconds <= limit)) for limit in WITHIN_S),
        ).group_by(L.assigned_to_id)
    )
    bucket = histogram_bucket(seconds)
    histograms: dict[int | None, list[tuple[float, int]]] = defaultdict(list)
    for assignee, value, n in rows(
        cohort.with_only_columns(L.assigned_to_id, bucket, sa.func.count())
        .where(contacted)
        .group_by(L.assigned_to_id, bucket)
    ):
        histograms[assignee].append((max(float(value), 0.0), int(n)))
    return {
        assignee: response_times(int(n), int(reached), within, histograms.get(assignee, []))
        for assignee, n, reached, *within in totals
    }


def combined(parts: dict[int | None, ResponseTimes]) -> ResponseTimes:
    """Everyone's response times from each assignee's (histograms add up)."""
    values = list(parts.values())
    within = [sum(p.within[limit] for p in values) for limit in WITHIN_S]
    histogram: dict[float, int] = defaultdict(int)
    for part in values:
        for value, n in part.histogram:
            histogram[value] += n
    return response_times(
        sum(p.received for p in values),
        sum(p.contacted for p in values),
        within,
        list(histogram.items()),
    )


def speed_to_lead(cohort: sa.Select, tz: str, span: tuple[datetime, datetime]) -> Speed:
    """Response times of the leads *cohort* selects (a filtered, unordered lead query;
    *span*: the UTC range they were received in)."""
    by_staff = responses_by_staff(cohort)
    contacted = L.first_contacted_at.is_not(None)
    measures = (
        sa.func.count(),
        count_if(contacted),
        count_if(sa.and_(contacted, response_seconds() <= 3600)),
    )
    cells = week_hour_rows(cohort, L.created_at, measures, tz, span)
    return Speed(
        overall=combined(by_staff),
        by_staff=by_staff,
        heatmap=[HeatCell(day, hour, *values) for (day, hour), values in sorted(cells.items())],
    )


def response_summary(cohort: sa.Select) -> ResponseTimes:
    """Overall response times only (for the previous period's comparison)."""
    return combined(responses_by_staff(cohort))


def open_not_contacted(leads: sa.Select, now: datetime) -> list[AgeBucket]:
    """Open leads (new or assigned) with no contact attempt yet, by time since stored."""
    waiting = leads.where(
        L.status.in_([LeadStatus.NEW.value, LeadStatus.ASSIGNED.value]),
        L.first_contacted_at.is_(None),
    )
    columns = [
        count_if(L.created_at > now - AGE_BUCKETS[0][1]),
        *(
            count_if(
                sa.and_(
                    L.created_at <= now - AGE_BUCKETS[i - 1][1],
                    L.created_at > now - AGE_BUCKETS[i][1],
                )
            )
            for i in range(1, len(AGE_BUCKETS) - 1)
        ),
        count_if(L.created_at <= now - AGE_BUCKETS[-2][1]),
    ]
    [row] = rows(waiting.with_only_columns(*columns))
    return [AgeBucket(key, int(n)) for (key, _age), n in zip(AGE_BUCKETS, row, strict=True)]
