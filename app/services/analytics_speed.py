"""Speed to lead: the wall-clock time from storing a lead (`created_at`, when the response
clock starts) to its first contact attempt (`first_contacted_at`): median, p90 and the share
of the leads received that were contacted within 5 minutes, an hour and a day, overall, by
staff member and by local weekday × hour; and the open leads nobody has contacted yet, by age.
"""

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, LeadStatus
from app.services.analytics_sql import count_if, seconds_between

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

    def share_within(self, seconds: int) -> float | None:
        return self.within[seconds] / self.received if self.received else None


@dataclass(frozen=True)
class HeatCell:
    weekday: int  # 0 = Monday (local)
    hour: int  # local hour the lead was stored
    contacted: int
    median_s: float

    @property
    def band(self) -> int:
        """0: within 5 minutes, 1: an hour, 2: a day, 3: longer."""
        return sum(1 for limit in WITHIN_S if self.median_s > limit)


@dataclass(frozen=True)
class Speed:
    overall: ResponseTimes
    by_staff: dict[int | None, ResponseTimes]
    heatmap: list[HeatCell]

    def grid(self) -> list[list[HeatCell | None]]:
        """The heat map as 7 weekdays × 24 hours (None: nobody contacted)."""
        cells = {(cell.weekday, cell.hour): cell for cell in self.heatmap}
        return [[cells.get((day, hour)) for hour in range(24)] for day in range(7)]


@dataclass(frozen=True)
class AgeBucket:
    key: str
    leads: int


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks (PostgreSQL's percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def response_times(received: int, seconds: Sequence[float]) -> ResponseTimes:
    return ResponseTimes(
        received=received,
        contacted=len(seconds),
        median_s=statistics.median(seconds) if seconds else None,
        p90_s=percentile(seconds, 0.9),
        within={limit: sum(1 for s in seconds if s <= limit) for limit in WITHIN_S},
    )


def speed_to_lead(cohort: sa.Select, tz: str) -> Speed:
    """Response times of the leads *cohort* selects (a filtered, unordered lead query)."""
    response = seconds_between(L.first_contacted_at, L.created_at)
    received = dict(
        db.session.execute(
            cohort.with_only_columns(L.assigned_to_id, sa.func.count()).group_by(L.assigned_to_id)
        ).all()
    )
    rows = db.session.execute(
        cohort.with_only_columns(L.assigned_to_id, L.created_at, response).where(
            L.first_contacted_at.is_not(None)
        )
    ).all()
    zone = ZoneInfo(tz)
    per_staff: dict[int | None, list[float]] = defaultdict(list)
    per_cell: dict[tuple[int, int], list[float]] = defaultdict(list)
    for assignee, created_at, seconds in rows:
        value = max(round(float(seconds)), 0)  # a contact logged before storing counts as 0
        per_staff[assignee].append(value)
        local = created_at.astimezone(zone)
        per_cell[(local.weekday(), local.hour)].append(value)
    everyone = [value for values in per_staff.values() for value in values]
    return Speed(
        overall=response_times(sum(received.values()), everyone),
        by_staff={
            assignee: response_times(n, per_staff.get(assignee, []))
            for assignee, n in received.items()
        },
        heatmap=[
            HeatCell(day, hour, len(values), statistics.median(values))
            for (day, hour), values in sorted(per_cell.items())
        ],
    )


def response_summary(cohort: sa.Select) -> ResponseTimes:
    """Overall response times only (for the previous period's comparison)."""
    response = seconds_between(L.first_contacted_at, L.created_at)
    received = db.session.scalar(cohort.with_only_columns(sa.func.count())) or 0
    seconds = db.session.scalars(
        cohort.with_only_columns(response).where(L.first_contacted_at.is_not(None))
    ).all()
    return response_times(received, [max(round(float(s)), 0) for s in seconds])


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
    row = db.session.execute(waiting.with_only_columns(*columns)).one()
    return [AgeBucket(key, int(n)) for (key, _age), n in zip(AGE_BUCKETS, row, strict=True)]
