"""What the first walk-through found (issue 14, item 3), in a real browser: a staff member's
first lead arrives live on an empty list; a note typed while someone else changed the lead is
kept, with what changed, and can be sent again; the lead page does not move when its live badge
changes word (a click on its way then missed the button)."""

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models import Role
from tests import factories

pytestmark = pytest.mark.browser

ROWS = "#lead-rows tr[data-lead-id]"
CONNECT_MS = 10_000
ARRIVAL_MS = 5_000


def make_staff(live_server, username: str) -> None:
    def run() -> int:
        user = factories.make_user(username, role=Role.STAFF)
        db.session.commit()
        return user.id

    live_server.users[username] = live_server.in_app(run)


def test_staff_with_no_leads_sees_the_first_assignment_live(browsing, live_server):
    make_staff(live_server, "newcomer")
    page = browsing.open(browsing.context("newcomer"), "/facebook-leads/", "newcomer-empty")
    expect(page.locator("#live-status")).to_have_text("Live", timeout=CONNECT_MS)
    browsing.mark(page)
    empty = page.get_by_text("No leads assigned to you yet")
    expect(empty).to_be_visible()
    expect(page.locator(ROWS)).to_have_count(0)

    lead = live_server.new_lead("First Lead Patient", assign_to="newcomer")

    top = page.locator(ROWS).first
    expect(top).to_have_attribute("data-lead-id", str(lead.id), timeout=ARRIVAL_MS)
    expect(top.locator(".lead-name")).to_have_text(lead.name)
    expect(top).to_be_visible()
    expect(empty).to_be_hidden()
    browsing.assert_not_reloaded(page)


def test_note_typed_while_someone_else_changed_the_lead_is_kept(browsing, live_server):
    lead = live_server.new_lead("Conflict Note Patient", assign_to="ayse")
    page = browsing.open(browsing.context("ayse"), f"/facebook-leads/{lead.id}", "ayse-note")
    live = page.locator("#live-status")
    expect(live).to_have_text("Live", timeout=CONNECT_MS)  # so the page hears the change below
    note = "Called her, she wants the March dates and a price for 4,000 grafts"
    page.select_option("#interaction_type", "call")
    page.select_option("#result", "reached")
    page.fill("#description", note)

    # Meanwhile the superadmin moves the lead to someone else and back: the page's version is stale.
    live_server.assign(lead.id, "mehmet")
    live_server.assign(lead.id, "ayse")
    # The page says so with a banner above the form, which moves the form down: click after it.
    expect(page.locator("#stale-banner")).to_be_visible(timeout=ARRIVAL_MS)
    page.click("#interaction-form [type=submit]")

    conflict = page.locator("#conflict-panel")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("changed by someone else")
    expect(conflict.locator("li")).to_have_count(2)  # the two assignments, by admin
    expect(conflict).to_contain_text("admin")
    expect(page.locator("#description")).to_have_value(note)
    expect(page.locator("#interaction_type")).to_have_value("call")
    expect(page.locator("#result")).to_have_value("reached")

    # The refused page is a new page: click once it is live (its scripts have run), not while it
    # is still loading. A press and a release the page moved between is no click at all.
    expect(live).to_have_text("Live", timeout=CONNECT_MS)
    page.click("#interaction-form [type=submit]")  # send it again, now on the current version
    expect(page.locator(".alert-success")).to_contain_text("Logged.")
    expect(page.locator("#conflict-panel")).to_have_count(0)
    expect(page.get_by_text(note)).to_be_visible()


def test_the_lead_page_stays_put_when_its_live_badge_changes_word(browsing, live_server):
    lead = live_server.new_lead("Steady Header Patient", assign_to="ayse")
    context = browsing.context("ayse")
    page = browsing.open(context, f"/facebook-leads/{lead.id}", "ayse-steady")
    live = page.locator("#live-status")
    save = page.locator("#interaction-form [type=submit]")
    expect(live).to_have_text("Live", timeout=CONNECT_MS)
    placed = (live.bounding_box()["width"], save.bounding_box()["y"])

    context.set_offline(True)  # the socket drops: "Reconnecting…", a longer word than "Live"
    expect(live).to_have_text("Reconnecting…", timeout=CONNECT_MS)
    assert (live.bounding_box()["width"], save.bounding_box()["y"]) == placed
    context.set_offline(False)
    expect(live).to_have_text("Live", timeout=CONNECT_MS)
    assert (live.bounding_box()["width"], save.bounding_box()["y"]) == placed
