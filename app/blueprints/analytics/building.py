"""Building a view's analytics for the routes that show it (page, report, API)."""

from flask_login import current_user

from app import tasks
from app.services import analytics
from app.services.analytics_period import Period
from app.services.lead_filters import LeadFilters
from app.tasks import jobs


def built(filters: LeadFilters, period: Period, tz: str) -> analytics.Analytics:
    """The analytics of the current user's selection. Days the rollup had to count from the
    leads (changed since stored) are stored in the background, so the next view reads them
    stored rather than counting them again."""
    result = analytics.build_analytics(current_user, filters, period, tz)
    if result.changed_days:
        tasks.submit_once("analytics", jobs.store_analytics_rollup)
    return result
