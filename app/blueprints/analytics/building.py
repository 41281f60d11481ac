"""Building a view's analytics for the routes that show it (page, report, API)."""

import time

from flask import current_app
from flask_login import current_user

from app import tasks
from app.services import analytics
from app.services.analytics_period import Period
from app.services.lead_filters import LeadFilters
from app.tasks import jobs

# On a busy desk today's leads change every few seconds, so a store after every view would
# count today again and again beside the views; one store at most this often after views
# (the scheduler stores every minute anyway).
STORE_AFTER_VIEW_S = 15.0


def built(filters: LeadFilters, period: Period, tz: str) -> analytics.Analytics:
    """The analytics of the current user's selection. Days the rollup had to count from the
    leads (changed since stored) are stored in the background, so the next view reads them
    stored rather than counting them again."""
    result = analytics.build_analytics(current_user, filters, period, tz)
    if result.changed_days and store_due(current_app.extensions, time.monotonic()):
        tasks.submit_once("analytics", jobs.store_analytics_rollup)
    return result


def store_due(state: dict, now: float) -> bool:
    """Whether no view asked for a store in the STORE_AFTER_VIEW_S before *now* (*state*:
    the app's extensions; noted there when it says yes)."""
    last = state.get("analytics_stored_after_view")
    if last is not None and now - last < STORE_AFTER_VIEW_S:
        return False
    state["analytics_stored_after_view"] = now
    return True
