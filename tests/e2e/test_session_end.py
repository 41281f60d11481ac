"""Sessions that end, in a real browser: signing out in one tab sends the others of that
sign-in to the login page (their socket hears `session_ended`, then is disconnected), and
the CSP still lets the page's socket reach its own origin."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import VIEWPORT
from tests.e2e.test_live_dashboard import wait_live

pytestmark = pytest.mark.browser


def test_signing_out_in_one_tab_sends_the_other_tabs_to_the_login_page(browsing, live_server):
    # A sign-in of its own: the cached ones of the other tests must stay alive.
    state = browsing._log_in("zeynep")
    context = browsing.browser.new_context(viewport=VIEWPORT, storage_state=state)
    browsing.contexts.append(context)
    watching = browsing.open(context, "/facebook-leads/", "zeynep-watching")
    leaving = browsing.open(context, "/facebook-leads/", "zeynep-signing-out")
    wait_live(watching)
    wait_live(leaving)

    leaving.locator("form[action$='/auth/logout'] button").click()

    expect(leaving).to_have_url(re.compile(r"/auth/login$"))
    expect(leaving.locator(".alert")).to_contain_text("You are signed out.")
    expect(watching).to_have_url(re.compile(r"/auth/login\?next="), timeout=5_000)


def test_the_csp_names_the_page_origin_for_sockets(browsing, live_server):
    page = browsing.open(browsing.context("admin"), "/facebook-leads/", "admin-csp")
    wait_live(page)  # the socket connected under this policy
    policy = page.evaluate(
        "async () => (await fetch(location.href)).headers.get('content-security-policy')"
    )
    host = live_server.url.removeprefix("http://")
    assert f"connect-src 'self' ws://{host};" in policy
