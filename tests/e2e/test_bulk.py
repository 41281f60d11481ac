"""Bulk actions in a real browser: select all matching → assign → another superadmin's
dashboard updates without a reload; undo; delete with a confirmation; keyboard selection;
the bar at phone width. Screenshots land in test-artifacts/e2e/."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

ROWS = "#lead-rows tr[data-lead-id]"
ASSIGNEE_CELL = "td.assignee"
CONNECT_MS = 10_000
UPDATE_MS = 10_000


def wait_live(page) -> None:
    expect(page.locator("#live-status")).to_have_text("Live", timeout=CONNECT_MS)


def test_select_all_matching_assign_updates_another_dashboard_then_undo(browsing, live_server):
    watcher = browsing.open(browsing.context("admin"), "/facebook-leads/", "watcher")
    actor = browsing.open(browsing.context("admin"), "/facebook-leads/?status=new", "actor")
    wait_live(watcher)
    wait_live(actor)
    browsing.mark(watcher)
    total = int(actor.locator("#bulk").get_attribute("data-total"))
    assert total > actor.locator(ROWS).count()  # more than one page matches

    actor.locator("#select-page").check()
    expect(actor.locator("#bulk-bar")).to_be_visible()
    expect(actor.locator("#bulk-count")).to_have_text(f"{actor.locator(ROWS).count()} selected")
    actor.locator("#bulk-select-all").click()
    expect(actor.locator("#bulk-count")).to_have_text(f"{total} selected")
    actor.select_option("#bulk-assignee", label="zeynep")
    actor.locator("form[data-action=assign] button[type=submit]").click()
    expect(actor.locator("#bulk-result-text")).to_have_text(
        re.compile(rf"^{total} of {total} changed\."), timeout=UPDATE_MS
    )
    browsing.screenshot(actor, "bulk-assigned")

    first = watcher.locator(ROWS).first
    expect(first.locator(ASSIGNEE_CELL)).to_have_text("zeynep", timeout=UPDATE_MS)
    assert total == len(live_server.lead_ids_of("zeynep"))
    browsing.assert_not_reloaded(watcher)

    actor.locator("#bulk-undo").click()
    expect(actor.locator("#bulk-result-text")).to_have_text(
        re.compile(rf"^Undone: {total} put back"), timeout=UPDATE_MS
    )
    expect(first.locator(ASSIGNEE_CELL)).to_have_text("—", timeout=UPDATE_MS)
    assert live_server.lead_ids_of("zeynep") == set()


def test_keyboard_selection_and_a_confirmed_delete(browsing, live_server):
    page = browsing.open(browsing.context("admin"), "/facebook-leads/", "delete")
    wait_live(page)
    rows = page.locator(ROWS)
    ids = [rows.nth(i).get_attribute("data-lead-id") for i in range(2)]
    for i in range(2):
        rows.nth(i).focus()
        page.keyboard.press("Space")
    expect(page.locator("#bulk-count")).to_have_text("2 selected")
    page.locator("button.bulk-simple[data-action=delete]").click()
    expect(page.locator("#bulk-confirm")).to_be_visible()
    expect(page.locator("#bulk-confirm-text")).to_have_text("Delete 2 leads?")
    browsing.screenshot(page, "bulk-confirm-delete")
    page.locator("#bulk-confirm-ok").click()
    expect(page.locator("#bulk-result-text")).to_have_text(re.compile(r"^2 of 2 changed"))
    for lead_id in ids:
        expect(page.locator(f'{ROWS}[data-lead-id="{lead_id}"]')).to_have_count(0)


def test_the_bulk_bar_fits_a_phone(browsing, live_server):
    context = browsing.context("admin", viewport={"width": 390, "height": 844})
    page = browsing.open(context, "/facebook-leads/", "phone")
    wait_live(page)
    page.locator(ROWS).first.locator("input.lead-select").check()
    bar = page.locator("#bulk-bar")
    expect(bar).to_be_visible()
    box = bar.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.locator("#export-menu summary").click()
    expect(page.locator("a.export-link[data-format=csv]")).to_have_attribute(
        "href", re.compile(r"ids=\d+")
    )
    browsing.screenshot(page, "bulk-phone")
    page.locator("#export-menu summary").click()  # closed again: the bar over the rows
    page.mouse.wheel(0, 900)
    page.screenshot(path=str(ARTIFACTS / "bulk-phone-viewport.png"))
