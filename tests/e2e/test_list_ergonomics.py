"""The lead list in a real browser: a row opens its lead (its checkbox does not), filters apply
as they change with only the non-empty ones in the URL, back from a lead keeps the filter and
the scroll position, keyboard shortcuts, saved views, columns shown or hidden, and previous /
next lead within the filter. Turkish screenshots at 1440 and 390 px."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROWS = "#lead-rows tr[data-lead-id]"
SHOTS = Path("/tmp/ergo")


def focused_lead(page) -> str | None:
    return page.evaluate("document.activeElement?.dataset?.leadId ?? null")


def ready(page) -> None:
    """Wait until the page's shortcuts listen (module scripts run after the URL changes)."""
    expect(page.locator("html")).to_have_attribute("data-shortcuts", "on")


def focused_id(page) -> str:
    return page.evaluate("document.activeElement?.id ?? ''")


def test_a_click_on_a_row_opens_its_lead_but_its_checkbox_only_selects(browsing):
    page = browsing.open(browsing.context("admin"), "/facebook-leads/?status=new", "row-click")
    row = page.locator(ROWS).nth(1)
    lead_id = row.get_attribute("data-lead-id")
    row.locator("input.lead-select").check()
    expect(page.locator("#bulk-bar")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/facebook-leads/\?status=new$"))
    row.locator("td").nth(3).click()  # the treatment: no action of its own
    expect(page).to_have_url(re.compile(rf"/facebook-leads/{lead_id}\?status=new$"))
    expect(page.locator("#back-to-list")).to_have_attribute("href", "/facebook-leads/?status=new")


def test_filters_apply_as_they_change_with_only_non_empty_parameters(browsing, live_server):
    live_server.new_lead("Ergonomia Patient")
    page = browsing.open(browsing.context("admin"), "/facebook-leads/", "debounce")
    browsing.mark(page)
    page.select_option("#status", "new")
    expect(page).to_have_url(re.compile(r"/facebook-leads/\?status=new$"))
    page.locator("#q").press_sequentially("Ergonomia", delay=60)  # one navigation, not nine
    expect(page).to_have_url(re.compile(r"/facebook-leads/\?q=Ergonomia&status=new$"))
    expect(page.locator("#q")).to_be_focused()  # typing goes on where it was
    expect(page.locator("#q")).to_have_value("Ergonomia")
    expect(page.locator(ROWS)).to_have_count(1)
    assert browsing.navigations[page] == 2
    page.locator("#q").fill("")
    expect(page).to_have_url(re.compile(r"/facebook-leads/\?status=new$"))


def test_back_from_a_lead_keeps_the_filter_and_the_scroll_position(browsing):
    page = browsing.open(browsing.context("admin"), "/facebook-leads/?sort=score", "back")
    row = page.locator(ROWS).nth(40)
    row.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 300
    lead_id = row.get_attribute("data-lead-id")
    row.locator("td").nth(3).click()
    expect(page).to_have_url(re.compile(rf"/facebook-leads/{lead_id}\?sort=score$"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"/facebook-leads/\?sort=score$"))
    expect(page.locator("#sort")).to_have_value("score")
    page.wait_for_function(f"Math.abs(window.scrollY - {scrolled}) < 5", timeout=5_000)


def test_keyboard_shortcuts_and_previous_next_within_the_filter(browsing):
    page = browsing.open(browsing.context("admin"), "/facebook-leads/?sort=score", "keys")
    ids = [page.locator(ROWS).nth(i).get_attribute("data-lead-id") for i in range(3)]
    ready(page)
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    page.locator(".save-view summary").click()
    page.locator("#view-name").click()
    page.keyboard.type("jk?")  # typing in a field: no shortcut fires
    expect(page.locator("#view-name")).to_have_value("jk?")
    assert focused_lead(page) is None and not page.locator("#shortcuts-help").is_visible()
    page.locator("h1").click()
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert focused_lead(page) == ids[1]
    page.keyboard.press("k")
    assert focused_lead(page) == ids[0]
    page.keyboard.press("?")
    expect(page.locator("#shortcuts-help")).to_be_visible()
    expect(page.locator("#shortcuts-help")).to_contain_text("Keyboard shortcuts")
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts-help")).to_be_hidden()
    page.locator(ROWS).nth(0).focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/facebook-leads/{ids[0]}\?sort=score$"))

    ready(page)
    page.keyboard.press("j")  # the lead page: the next lead of the same list
    expect(page).to_have_url(re.compile(rf"/facebook-leads/{ids[1]}\?sort=score$"))
    ready(page)
    page.keyboard.press("k")
    expect(page).to_have_url(re.compile(rf"/facebook-leads/{ids[0]}\?sort=score$"))
    ready(page)
    for key, control in (("s", "status-select"), ("l", "interaction_type"), ("a", "user_id")):
        page.keyboard.press(key)
        assert focused_id(page) == control, key
        page.keyboard.press("j")  # a focused select is typing: nothing happens
        expect(page).to_have_url(re.compile(rf"/facebook-leads/{ids[0]}\?sort=score$"))
        page.evaluate("document.activeElement.blur()")
    page.keyboard.press("?")
    expect(page.locator("#shortcuts-help")).to_be_visible()
    page.keyboard.press("Escape")

    page.go_back()  # the dashboard again: `a` on a row opens it at the assignment
    expect(page).to_have_url(re.compile(r"/facebook-leads/\?sort=score$"))
    ready(page)
    page.locator("h1").click()
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("a")
    expect(page).to_have_url(re.compile(rf"/facebook-leads/{ids[1]}\?sort=score#assign$"))
    expect(page.locator("#user_id")).to_be_focused()


def test_saved_views_save_open_share_and_delete(browsing):
    context = browsing.context("admin")
    page = browsing.open(context, "/facebook-leads/?status=new&score_min=40", "views")
    page.locator(".save-view summary").click()
    name = '<b>Warm</b> "new"'
    page.locator("#view-name").fill(name)
    page.locator("#save-view-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/facebook-leads/\?status=new&score_min=40$"))
    mine = page.locator(".saved-view[data-view-id]", has_text=name)
    expect(mine.locator("a")).to_have_attribute("aria-current", "true")
    shared = mine.locator("a").get_attribute("href")

    page.locator(".saved-view a", has_text="New and unassigned").click()
    expect(page).to_have_url(re.compile(r"/facebook-leads/\?status=new&assignee=none$"))
    expect(page.locator("#status")).to_have_value("new")
    expect(page.locator("#assignee")).to_have_value("none")
    mine.locator("a").click()
    expect(page).to_have_url(re.compile(r"/facebook-leads/\?status=new&score_min=40$"))
    expect(page.locator("#score_min")).to_have_value("40")

    other = browsing.open(browsing.context("mehmet"), shared, "views-shared")
    expect(other).to_have_url(re.compile(r"/facebook-leads/\?status=new&score_min=40$"))
    expect(other.locator(".saved-view", has_text=name)).to_have_count(0)  # not theirs

    mine.locator("button.delete-view").click()
    expect(page.locator(".alert-success")).to_contain_text("View deleted.")
    expect(page.locator(".saved-view", has_text=name)).to_have_count(0)
    assert not browsing.dialogs


def test_columns_shown_or_hidden_are_remembered(browsing):
    page = browsing.open(browsing.context("admin"), "/facebook-leads/", "columns")
    expect(page.locator("th.col-platform")).to_be_hidden()
    expect(page.locator("th.col-distributor")).to_be_visible()
    page.locator("#columns-menu summary").click()
    page.locator("#column-platform").check()
    page.locator("#column-distributor").uncheck()
    expect(page.locator("th.col-platform")).to_be_visible()
    expect(page.locator(f"{ROWS} td.col-platform").first).to_be_visible()
    page.reload()
    expect(page.locator("th.col-platform")).to_be_visible()
    expect(page.locator("th.col-distributor")).to_be_hidden()
    expect(page.locator(f"{ROWS} td.col-distributor").first).to_be_hidden()


@pytest.mark.parametrize("width", [1440, 390])
def test_turkish_screenshots(browsing, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browsing.context("admin", viewport={"width": width, "height": 900})
    page = browsing.open(context, "/facebook-leads/?status=new&lang=tr", "tr")
    expect(page.locator("#saved-views")).to_contain_text("Yeni ve atanmamış")
    page.locator(".save-view summary").first.click()
    page.screenshot(path=str(SHOTS / f"dashboard-tr-{width}.png"), full_page=False)
    if width > 768:
        page.locator("#columns-menu summary").click()
        page.screenshot(path=str(SHOTS / f"columns-tr-{width}.png"))
        page.locator("h1").click()
        page.keyboard.press("?")
        expect(page.locator("#shortcuts-help")).to_contain_text("Klavye kısayolları")
        page.screenshot(path=str(SHOTS / f"shortcuts-tr-{width}.png"))
        page.keyboard.press("Escape")
    page.locator(ROWS).nth(1).locator("td").nth(3).click()
    expect(page.locator("#lead-nav")).to_contain_text("Sonraki talep")
    page.screenshot(path=str(SHOTS / f"lead-tr-{width}.png"))
