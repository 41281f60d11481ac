"""In-browser alerts of new leads, in Chromium: the tab title counts the new leads that came
while the page was not looked at, a desktop notification (the real Notification API, the
permission granted in the context; an init script records each `new Notification`) for a lead
assigned to me, or a new unassigned lead for a superadmin; never another staff member's lead;
an optional sound; permission asked only from the button on /account. Screenshots of /account
(Turkish, 390 and 1440 px) go to test-artifacts/e2e/ and, with ALERTS_SHOTS set, there too."""

import os
import re
import shutil
import time

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.services import accounts

pytestmark = pytest.mark.browser

# The page thinks it is hidden while window.__hidden is true (a background tab), and the
# real Notification is wrapped so each one is recorded; a sound is counted by its oscillator.
WATCH = """
window.__hidden = false;
Object.defineProperty(Document.prototype, "visibilityState", {
  configurable: true, get() { return window.__hidden ? "hidden" : "visible"; } });
Object.defineProperty(Document.prototype, "hidden", {
  configurable: true, get() { return window.__hidden; } });
Document.prototype.hasFocus = function () { return !window.__hidden; };
window.__notified = [];
window.__asked = [];
window.__beeps = 0;
if ("Notification" in window) {
  const Real = window.Notification;
  const realAsk = Real.requestPermission.bind(Real);
  window.Notification = class extends Real {
    constructor(title, options = {}) {
      window.__notified.push({ title, body: options.body || "", tag: options.tag || "" });
      super(title, options);
    }
    static requestPermission() {
      window.__asked.push(navigator.userActivation.isActive);
      return realAsk();
    }
  };
}
if (window.AudioContext) {
  const create = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () {
    window.__beeps += 1;
    return create.call(this);
  };
}
"""
BASE_TITLE = "My day · MSH Med Tour"


def watched(browsing, live_server, username: str, *, grant: bool = True, sound: bool = False):
    context = browsing.context(username)
    if grant:
        context.grant_permissions(["notifications"], origin=live_server.url)
    context.add_init_script(script=WATCH)
    if sound:
        context.add_init_script(script='localStorage.setItem("mld.alertSound", "1");')
    page = browsing.open(context, "/facebook-leads/my-day", f"alerts-{username}")
    browsing.wait_connected(page)
    return page


def wait_until(page, expression: str, timeout_s: float = 10.0) -> None:
    """Poll *expression* in the page (wait_for_function evaluates strings, which CSP forbids)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(50)


def wait_notified(page, count: int) -> None:
    wait_until(page, f"window.__notified.length >= {count}")
    assert len(notified(page)) == count


def notified(page) -> list[dict]:
    return page.evaluate("window.__notified")


def look_again(page) -> None:
    page.evaluate("window.__hidden = false; document.dispatchEvent(new Event('visibilitychange'))")


def test_a_lead_assigned_to_me_counts_in_the_title_and_notifies_me_only(browsing, live_server):
    ayse = watched(browsing, live_server, "ayse", sound=True)
    mehmet = watched(browsing, live_server, "mehmet")
    expect(ayse).to_have_title(BASE_TITLE)
    for page in (ayse, mehmet):
        page.evaluate("window.__hidden = true")
    lead = live_server.new_lead("Bildirim Hasta", assign_to="ayse")
    expect(ayse).to_have_title(f"(1) {BASE_TITLE}", timeout=10_000)
    wait_notified(ayse, 1)
    [shown] = notified(ayse)
    assert shown["title"] == "A new lead was assigned to you"
    assert shown["body"] == f"Lead #{lead.id}"  # an id: no patient's name on a locked screen
    assert "Bildirim" not in str(notified(ayse))
    assert ayse.evaluate("window.__beeps") == 1  # ayse chose the sound in this browser
    second = live_server.new_lead("Ikinci Hasta", assign_to="ayse")
    expect(ayse).to_have_title(f"(2) {BASE_TITLE}", timeout=10_000)
    wait_notified(ayse, 2)
    assert notified(ayse)[1]["body"] == f"Lead #{second.id}"
    live_server.new_lead("Baskasinin Hasta", assign_to="mehmet")
    expect(mehmet).to_have_title(f"(1) {BASE_TITLE}", timeout=10_000)
    wait_notified(mehmet, 1)
    assert mehmet.evaluate("window.__beeps") == 0  # no sound unless chosen
    assert len(notified(ayse)) == 2  # not ayse's lead: she heard nothing of it
    expect(ayse).to_have_title(f"(2) {BASE_TITLE}")
    look_again(ayse)
    expect(ayse).to_have_title(BASE_TITLE)  # looked at: the count is gone
    assert browsing.errors == []


def test_a_superadmin_hears_of_a_new_unassigned_lead(browsing, live_server):
    admin = watched(browsing, live_server, "admin")
    admin.evaluate("window.__hidden = true")
    lead = live_server.new_lead("Atanmamis Hasta")
    expect(admin).to_have_title(f"(1) {BASE_TITLE}", timeout=10_000)
    wait_notified(admin, 1)
    assert notified(admin) == [
        {"title": "A new unassigned lead", "body": f"Lead #{lead.id}", "tag": "mld-leads-new"}
    ]
    look_again(admin)
    live_server.new_lead("Bakilan Hasta")  # while looked at: no count, still a notification
    wait_notified(admin, 2)
    expect(admin).to_have_title(BASE_TITLE)
    assert browsing.errors == []


def test_nothing_in_the_browser_for_a_user_who_turned_it_off(browsing, live_server):
    def turn_off() -> None:
        accounts.get_user_by_username("zeynep").notify_browser = False
        db.session.commit()

    live_server.in_app(turn_off)
    zeynep = watched(browsing, live_server, "zeynep")
    zeynep.evaluate("window.__hidden = true")
    live_server.new_lead("Kapali Hasta", assign_to="zeynep")
    zeynep.wait_for_timeout(2_000)
    assert notified(zeynep) == [] and zeynep.title() == BASE_TITLE


def test_permission_is_asked_only_from_the_account_pages_button(browsing, live_server):
    context = browsing.context("mehmet")
    context.add_init_script(script=WATCH)
    page = browsing.open(context, "/account", "alerts-account")
    box = page.locator("#browser-alerts")
    expect(box.locator("#notification-state")).to_have_text("Not allowed yet in this browser.")
    assert page.evaluate("window.__asked") == []  # never on page load
    page.locator("#allow-notifications").click()
    wait_until(page, "window.__asked.length === 1")
    assert page.evaluate("window.__asked") == [True]  # inside the click (a user gesture)
    expect(box.locator("#notification-state")).not_to_have_text("Not allowed yet in this browser.")
    box.locator("#alert-sound").check()
    assert page.evaluate("localStorage.getItem('mld.alertSound')") == "1"
    assert page.evaluate("window.__beeps") == 1  # a sample of the sound
    assert browsing.errors == []


@pytest.mark.parametrize("width", [390, 1440])
def test_the_account_page_in_turkish(browsing, live_server, width):
    context = browsing.context("admin", viewport={"width": width, "height": 900})
    page = browsing.open(context, "/account?lang=tr", f"account-tr-{width}")
    expect(page.locator("#browser-alerts")).to_contain_text("Masaüstü bildirimleri")
    expect(page.locator("#allow-notifications")).to_be_visible()
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{scroll}px wide on a {width}px screen"
    path = browsing.screenshot(page, f"account-tr-{width}")
    if target := os.environ.get("ALERTS_SHOTS"):
        os.makedirs(target, exist_ok=True)
        shutil.copy(path, os.path.join(target, path.name))
    page.goto(live_server.url + "/account?lang=en")  # the next tests read English
    assert re.search(r"My account", page.title())
