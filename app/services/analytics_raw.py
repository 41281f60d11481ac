"""Analytics figures counted from the leads themselves: any filter, any user the routes let in.
`analytics_rolled` gives the same figures from the daily rollup for the default selection."""

from dataclasses import replace
from datetime import date, datetime

import sqlalchemy as sa

from app.models import FacebookLead, LeadStatus, User
from app.services import analytics_sources, analytics_speed
from app.services.analytics_period import Period
from app.services.analytics_sql import count_if, local_day_rows, rows
from app.services.lead_filters import LeadFilters
from app.services.lead_service import filtered_leads

L = FacebookLead
S = LeadStatus
OPEN = (S.NEW.value, S.ASSIGNED.value, S.CONTACTED.value, S.QUALIFIED.value)
REACHED = {  # "reached at least": a later milestone implies the earlier ones
    "contacted": sa.or_(
        L.first_contacted_at.is_not(None), L.qualified_at.is_not(None), L.converted_at.is_not(None)
    ),
    "qualified": sa.or_(L.qualified_at.is_not(None), L.converted_at.is_not(None)),
    "converted": L.converted_at.is_not(None),
}


class RawCounts:
    """The figures of *user*'s leads that *filters* select, one grouped query each."""

    def __init__(self, user: User, filters: LeadFilters, tz: str) -> None:
        self.user, self.filters, self.tz = user, filters, tz

    def cohort(self, period: Period) -> sa.Select:
        """The leads received in the period's local days."""
        chosen = replace(self.filters, date_from=period.start, date_to=period.end, deleted=False)
        return filtered_leads(self.user, chosen, self.tz).order_by(None)

    def undated(self) -> sa.Select:
        """The filters' leads whatever their day (open load, conversions in the period)."""
        chosen = replace(self.filters, date_from=None, date_to=None, deleted=False)
        return filtered_leads(self.user, chosen, self.tz).order_by(None)

    def funnel(self, period: Period) -> tuple[int, ...]:
        """received, contacted, qualified, converted (reached at least), lost, invalid."""
        [row] = rows(
            self.cohort(period).with_only_columns(
                sa.func.count(),
                *(count_if(condition) for condition in REACHED.values()),
                count_if(L.status == S.LOST.value),
                count_if(L.status == S.INVALID.value),
            )
        )
        return tuple(int(n) for n in row)

    def staff_cohort(self, period: Period) -> list[tuple[int | None, int, int, int]]:
        """(assignee, leads, contacted, converted) of the period's cohort."""
        query = self.cohort(period).with_only_columns(
            L.assigned_to_id,
            sa.func.count(),
            count_if(REACHED["contacted"]),
            count_if(REACHED["converted"]),
        )
        return [tuple(row) for row in rows(query.group_by(L.assigned_to_id))]

    def open_now(self) -> dict[int, int]:
        """Each staff member's open leads now (of the filters' leads, any day)."""
        query = (
            self.undated()
            .with_only_columns(L.assigned_to_id, sa.func.count())
            .where(L.status.in_(OPEN), L.assigned_to_id.is_not(None))
            .group_by(L.assigned_to_id)
        )
        return {assignee: int(n) for assignee, n in rows(query)}

    def speed(self, period: Period) -> analytics_speed.Speed:
        return analytics_speed.speed_to_lead(self.cohort(period), self.tz, period.bounds(self.tz))

    def response(self, period: Period) -> analytics_speed.ResponseTimes:
        return analytics_speed.response_summary(self.cohort(period))

    def sources(self, period: Period) -> dict[str, list[analytics_sources.SourceRow]]:
        return analytics_sources.source_tables(self.cohort(period))

    def daily_received(self, span: Period) -> dict[date, int]:
        """Leads received per local day of *span*."""
        return local_day_rows(self.cohort(span), L.meta_created_at, self.tz, span.bounds(self.tz))

    def daily_conversions(self, period: Period) -> dict[date, int]:
        """Conversions that happened on each day of the period (leads received any day)."""
        start, end = period.bounds(self.tz)
        converted = self.undated().where(L.converted_at >= start, L.converted_at < end)
        return local_day_rows(converted, L.converted_at, self.tz, (start, end))

    def open_by_age(self, now: datetime) -> list[analytics_speed.AgeBucket]:
        return analytics_speed.open_not_contacted(self.undated(), now)
