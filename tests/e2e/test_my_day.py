""" "My day" and the follow-up picks in a real browser, at a phone's width: overdue in red,
call / WhatsApp / log buttons on screen, "when?" asked after a callback. Screenshots land in
test-artifacts/e2e/."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.models import FacebookLead, LeadTask, TaskKind
from app.services import accounts, lead_tasks
from app.tasks import followup_jobs
from tests.clock import room_today

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MINUTE = timedelta(minutes=1)


def add_follow_up(live_server, lead_id: int, due_in: timedelta) -> None:
    def run() -> None:
        lead = db.session.get(FacebookLead, lead_id)
        actor = accounts.get_user_by_username("ayse")
        lead_tasks.schedule(lead, due_at=datetime.now(UTC) + due_in, actor=actor)
        db.session.commit()

    live_server.in_app(run)


def no_sideways_scroll(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"


def test_my_day_on_a_phone_shows_overdue_in_red_with_call_whatsapp_and_log(browsing, live_server):
    late = live_server.new_lead("Gecikmis Hasta", assign_to="ayse")
    soon = live_server.new_lead("Bugun Hasta", assign_to="ayse")
    fresh = live_server.new_lead("Yeni Hasta", assign_to="ayse")
    add_follow_up(live_server, late.id, -timedelta(hours=3))
    tz = live_server.app.config["APP_TIMEZONE"]
    add_follow_up(live_server, soon.id, min(timedelta(minutes=30), room_today(tz, MINUTE) / 2))

    page = browsing.open(browsing.context("ayse", viewport=PHONE), "/facebook-leads/my-day", "day")
    overdue = page.locator(f'#day-overdue [data-lead-id="{late.id}"]')
    expect(overdue).to_be_visible()
    expect(overdue.locator(".text-danger")).to_contain_text("overdue")
    red = overdue.locator(".text-danger").first.evaluate("e => getComputedStyle(e).color")
    assert red.startswith("rgb(220, 53, 69")  # Bootstrap's danger red
    expect(page.locator(f'#day-today [data-lead-id="{soon.id}"]')).to_be_visible()
    expect(page.locator(f'#day-new [data-lead-id="{fresh.id}"]')).to_be_visible()
    for button in ("a[data-contact=call]", "a[data-contact=whatsapp]", "a[href$='#work']"):
        target = overdue.locator(button)
        expect(target).to_be_visible()
        box = target.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    no_sideways_scroll(page)
    browsing.screenshot(page, "my-day-390")

    overdue.locator("a[href$='#work']").click()
    expect(page).to_have_url(f"{live_server.url}/facebook-leads/{late.id}#work")
    no_sideways_scroll(page)


def test_a_callback_asks_when_and_the_follow_up_appears(browsing, live_server):
    lead = live_server.new_lead("Geri Arama Hasta", assign_to="ayse")
    page = browsing.open(
        browsing.context("ayse", viewport=PHONE), f"/facebook-leads/{lead.id}", "lead"
    )
    pick = page.locator("#follow_up")
    assert pick.evaluate("e => e.required") is False
    page.select_option("#result", "callback")
    assert pick.evaluate("e => e.required") is True
    expect(page.locator("#follow_up_at")).to_be_hidden()
    page.select_option("#follow_up", "at")
    expect(page.locator("#follow_up_at")).to_be_visible()
    page.select_option("#follow_up", "evening")
    page.fill("#description", "Akşam arayın")
    page.locator("#interaction-form button[type=submit]").click()
    expect(page.locator("#lead-tasks .lead-task")).to_contain_text("Call back")
    no_sideways_scroll(page)
    browsing.screenshot(page, "lead-follow-up-390")

    def stored() -> list[tuple]:
        rows = db.session.scalars(sa.select(LeadTask).where(LeadTask.lead_id == lead.id))
        return [(t.kind, t.due_at.astimezone(UTC).hour) for t in rows]

    assert live_server.in_app(stored) == [(TaskKind.CALLBACK, 15)]  # 18:00 in Istanbul


def test_back_from_a_call_the_page_offers_to_log_it_in_one_step(browsing, live_server):
    lead = live_server.new_lead("Log It Hasta", assign_to="ayse")
    page = browsing.open(
        browsing.context("ayse", viewport=PHONE), f"/facebook-leads/{lead.id}", "log-it"
    )
    call = page.locator("#contact-buttons [data-contact=call]")
    expect(call).to_be_visible()
    expect(page.locator("#contact-buttons [data-contact=whatsapp]")).to_have_attribute(
        "href", re.compile(r"^https://wa\.me/90\d+\?text=Merhaba%20")
    )
    # The phone app would take over here: keep the page, as a desktop without one does.
    call.evaluate(
        "a => { a.addEventListener('click', e => e.preventDefault(), {once: true}); a.click(); }"
    )
    banner = page.locator("#log-it")
    expect(banner).to_be_visible(timeout=5_000)
    expect(banner).to_contain_text("Back from the call?")
    browsing.screenshot(page, "log-it-390")
    page.click("#log-it-yes")
    expect(banner).to_be_hidden()
    assert page.eval_on_selector("#interaction_type", "e => e.value") == "call"
    assert page.evaluate("() => document.activeElement.id") == "result"
    page.select_option("#result", "no_answer")
    page.select_option("#follow_up", "in_1h")
    page.locator("#interaction-form button[type=submit]").click()
    expect(page.locator("#lead-tasks .lead-task")).to_contain_text("Try again")
    expect(page.locator("#log-it")).to_be_hidden()  # logged: not asked again
    no_sideways_scroll(page)


FAKE_NOTIFICATION = """
window.__notified = [];
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.__notified.push(title); }
};
"""


def test_a_follow_up_falling_due_shows_a_notice_and_a_browser_notification(browsing, live_server):
    lead = live_server.new_lead("Hatirlatma Hasta", assign_to="ayse")
    room_today(live_server.app.config["APP_TIMEZONE"], MINUTE)  # due today, not tomorrow
    due = datetime.now(UTC) + timedelta(seconds=12)
    add_follow_up(live_server, lead.id, due - datetime.now(UTC))
    context = browsing.context("ayse", viewport=PHONE)
    context.add_init_script(script=FAKE_NOTIFICATION)
    page = browsing.open(context, "/facebook-leads/my-day", "reminder")
    browsing.wait_connected(page)
    item = page.locator(f'#day-today [data-lead-id="{lead.id}"] [data-due]')
    assert item.get_attribute("data-overdue") is None  # not yet
    page.wait_for_timeout(max(0, (due - datetime.now(UTC)).total_seconds() * 1000) + 500)
    assert live_server.in_app(followup_jobs.announce_due) >= 1
    notice = page.locator("#task-notices .task-notice", has_text="Hatirlatma Hasta")
    expect(notice).to_be_visible(timeout=5_000)
    expect(notice).to_contain_text("Follow up: Hatirlatma Hasta, due")
    expect(notice.locator("a")).to_have_attribute("href", f"/facebook-leads/{lead.id}")
    assert any("Hatirlatma Hasta" in title for title in page.evaluate("window.__notified"))
    expect(item).to_have_attribute("data-overdue", "true")  # turned red without a reload
    assert "text-danger" in item.get_attribute("class")
    red = item.evaluate("e => getComputedStyle(e).color")
    assert red.startswith("rgb(220, 53, 69")
    local = (due + timedelta(hours=3)).strftime("%H:")  # Istanbul, not the browser's
    expect(notice).to_contain_text(f"due {local}")
    no_sideways_scroll(page)
    browsing.screenshot(page, "reminder-390")
