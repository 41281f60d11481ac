"""The analytics page follows new leads without a reload: on `stats_updated` it fetches its
own figures again (at most every 10 s) and swaps them in."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CONNECT_MS = 10_000
REFRESH_MS = 15_000  # the 10-second throttle, plus the sync and the fetch
RECEIVED = '[data-kpi="received"] .fs-4'


def received(page) -> int:
    cell = page.locator(RECEIVED)
    return int(cell.inner_text().replace(",", "").replace(".", "")) if cell.count() else 0


def test_the_analytics_page_counts_a_new_lead_without_a_reload(browsing, live_server):
    page = browsing.open(
        browsing.context("admin"), "/facebook-leads/analytics?period=7d", "analytics"
    )
    expect(page.locator("#live-status")).to_have_text("Live", timeout=CONNECT_MS)
    browsing.mark(page)
    before = received(page)
    live_server.new_lead("Canlı Analiz")
    expect(page.locator(RECEIVED)).to_have_text(str(before + 1), timeout=REFRESH_MS)
    browsing.assert_not_reloaded(page)
    assert page.locator("#funnel-chart").count() == 1  # the charts were drawn again
    browsing.screenshot(page, "analytics-live")
