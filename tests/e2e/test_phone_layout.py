"""Every page, for a superadmin and a staff member, at a phone's 390×844 and a desktop's 1440×900,
in English and Turkish: nothing wider than the window. The lead page has call and WhatsApp on the
first screen of a phone; the dashboard is cards there, its filters in an off-canvas panel.
Screenshots of each page land in test-artifacts/e2e/ (layout-<user>-<lang>-<width>-<page>.png)."""

from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.models import Distributor
from app.services import accounts, whatsapp
from app.services.routing import rules
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_languages import OVERFLOW

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
# Not pages: JSON, files, the webhook, one-time links, the row partial.
NOT_PAGES = {
    "static",
    "main.index",
    "main.healthz",
    "leads.row",
    "bulk.job",
    "bulk.download",
    "auth.login",
    "auth.reset_password",
    "auth.two_factor_code",
    "account.unsubscribe",
}
NOT_PAGE_PREFIXES = ("api.", "webhooks.")
NOT_PAGE_SUFFIXES = ("_csv", "_xlsx", "_json")


@pytest.fixture(scope="module")
def walk_ids(live_server) -> dict[str, int]:
    """A lead of ayse's, a routing rule and a WhatsApp template: every URL argument a page has."""
    lead = live_server.new_lead("Telefon Hasta", assign_to="ayse")

    def seed() -> dict[str, int]:
        admin = accounts.get_user_by_username("admin")
        template = whatsapp.save_template(
            None, language="tr", treatment="", body="Merhaba {first_name}", actor=admin
        )
        rule = rules.create_rule(
            rules.RuleInput(name="Saç ekimi, Türkiye", staff_ids=[live_server.users["ayse"]])
        )
        distributor_id = db.session.scalar(sa.select(Distributor.id))
        db.session.commit()
        return {"template_id": template.id, "rule_id": rule.id, "distributor_id": distributor_id}

    return {
        "lead_id": lead.id,
        "config_id": live_server.config_id,
        "user_id": live_server.users["ayse"],
        **live_server.in_app(seed),
    }


def page_paths(app, ids: dict[str, int]) -> dict[str, str]:
    """endpoint -> path of every HTML page the app serves on GET."""
    adapter = app.url_map.bind("localhost")
    paths = {}
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if (
            "GET" not in rule.methods
            or endpoint in NOT_PAGES
            or endpoint.startswith(NOT_PAGE_PREFIXES)
            or endpoint.endswith(NOT_PAGE_SUFFIXES)
        ):
            continue
        missing = rule.arguments - ids.keys()
        assert not missing, f"{rule.rule}: add a value for {missing} to walk_ids"
        paths[endpoint] = adapter.build(endpoint, {arg: ids[arg] for arg in rule.arguments})
    return paths


def with_lang(path: str, language: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{urlencode({'lang': language})}"


def first_screen(page, name: str) -> None:
    """A screenshot of what the window shows (not the whole page), for looking at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def too_wide(page) -> dict | None:
    """The page's layout when it is wider than the window (with the elements sticking out)."""
    layout = page.evaluate(OVERFLOW)
    return layout if layout["scrollWidth"] > layout["width"] else None


def assert_fits(page, where: str) -> None:
    layout = too_wide(page)
    if layout is not None:  # a transition (the off-canvas panel, a chip row) may still move
        page.wait_for_timeout(500)
        layout = too_wide(page)
    assert layout is None, (where, layout)


# Turkish only: its words are the longest of the three languages, so what fits in Turkish fits
# in English (the matrix in both took six minutes of the suite's browser time).
@pytest.mark.parametrize("language", ["tr"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1440"])
@pytest.mark.parametrize("username", ["admin", "ayse"])
def test_no_page_is_wider_than_the_window(
    browsing, live_server, walk_ids, username, viewport, language
):
    context = browsing.context(username, viewport=viewport)
    paths = page_paths(live_server.app, walk_ids)
    assert len(paths) > 25, sorted(paths)
    page, wide = None, {}
    try:
        for endpoint, path in sorted(paths.items()):
            label = f"layout-{username}-{language}-{viewport['width']}-{endpoint}"
            if page is None:
                page = browsing.open(context, with_lang(path, language), label)
            else:
                page.goto(live_server.url + with_lang(path, language))
            page.wait_for_load_state("load")
            if layout := too_wide(page):
                wide[f"{endpoint} ({page.url})"] = layout
            browsing.screenshot(page, label)
    finally:
        if page is not None and language != "en":
            page.goto(live_server.url + "/account?lang=en")  # the user's setting, as it was
    assert not wide, wide


def test_call_and_whatsapp_are_on_the_first_screen_of_a_lead_on_a_phone(
    browsing, live_server, walk_ids
):
    for username in ("ayse", "admin"):
        context = browsing.context(username, viewport=PHONE)
        page = browsing.open(context, f"/facebook-leads/{walk_ids['lead_id']}", f"lead-{username}")
        bar = page.locator("#action-bar")
        first_screen(page, f"layout-lead-390-{username}")
        for kind in ("call", "whatsapp", "log"):
            button = bar.locator(f"[data-contact={kind}]")
            expect(button).to_be_visible()
            box = button.bounding_box()
            assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], (kind, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (kind, box)
        page.mouse.wheel(0, 2000)  # the bar stays at the bottom while the page scrolls
        page.wait_for_timeout(100)
        box = bar.locator("[data-contact=call]").bounding_box()
        assert box["y"] + box["height"] <= PHONE["height"], box
        bar.locator("[data-contact=log]").click()
        expect(page.locator("#description")).to_be_focused()


def test_a_lead_reads_as_a_workspace_on_a_desktop(browsing, live_server, walk_ids):
    page = browsing.open(
        browsing.context("ayse", viewport=DESKTOP), f"/facebook-leads/{walk_ids['lead_id']}", "ws"
    )
    expect(page.locator("#action-bar")).to_be_hidden()  # the contact buttons are in the page
    first_screen(page, "layout-lead-1440")
    contact = page.locator("#contact-card").bounding_box()
    answers = page.locator("#answers-card").bounding_box()
    timeline = page.locator("#timeline-card").bounding_box()
    assert contact["y"] < answers["y"] < timeline["y"] or contact["x"] < answers["x"], (
        contact,
        answers,
        timeline,
    )
    assert contact["y"] < 300, contact  # the contact and the buttons open the page


def test_dashboard_on_a_phone_is_cards_with_chips_and_an_off_canvas_filter(
    browsing, live_server, walk_ids
):
    page = browsing.open(
        browsing.context("admin", viewport=PHONE), "/facebook-leads/?status=new&sort=score", "cards"
    )
    card = page.locator("#lead-rows tr[data-lead-id]").first
    first_screen(page, "layout-dashboard-390-cards")
    expect(card).to_be_visible()
    box = card.bounding_box()
    assert box["width"] <= PHONE["width"] and box["height"] > 100, box  # a card, not a line
    for part in (".lead-name", ".lead-service", ".lead-score", ".lead-status", ".lead-received"):
        expect(card.locator(part).first).to_be_visible()
    expect(card.locator("[data-contact=call]")).to_be_visible()
    expect(card.locator("[data-contact=whatsapp]")).to_be_visible()
    expect(page.locator("#lead-rows thead, .leads-table thead")).to_be_hidden()

    # Selection survives as cards: a checkbox on each, the bulk bar appears.
    card.locator("input.lead-select").check()
    expect(page.locator("#bulk-bar")).to_be_visible()
    card.locator("input.lead-select").uncheck()

    # Status counts: one row of chips that scrolls sideways inside itself.
    chips = page.locator("#stat-cards")
    assert chips.evaluate("e => e.scrollWidth > e.clientWidth"), "chips should scroll"
    assert chips.bounding_box()["height"] < 90

    # Filters: hidden behind a button; the active ones show as removable chips.
    expect(page.locator("#lead-filters")).to_be_hidden()
    active = page.locator("#active-filters a.filter-chip")
    expect(active).to_have_count(2)  # status and sort
    page.locator("#filter-toolbar [data-bs-toggle=offcanvas]").click()
    expect(page.locator("#lead-filters")).to_be_visible()
    expect(page.locator("#q")).to_be_visible()
    page.wait_for_timeout(400)  # the panel slides in
    first_screen(page, "layout-dashboard-390-filters")
    page.keyboard.press("Escape")
    expect(page.locator("#lead-filters")).to_be_hidden()
    active.filter(has_text="New").click()
    expect(page).to_have_url(f"{live_server.url}/facebook-leads/?sort=score")
    assert_fits(page, "dashboard")


def test_a_card_shows_its_assignee_beside_a_long_distributor_name(browsing, live_server, walk_ids):
    def rename(name: str) -> str:
        distributor = db.session.get(Distributor, walk_ids["distributor_id"])
        old, distributor.name = distributor.name, name
        db.session.commit()
        return old

    old = live_server.in_app(rename, "Istanbul Hair and Dental Clinic Partners")
    page = browsing.open(
        browsing.context("admin", viewport=PHONE), "/facebook-leads/?q=telefon", "assignee"
    )
    card = page.locator("#lead-rows tr[data-lead-id]").first
    assignee, distributor = card.locator(".assignee"), card.locator(".lead-distributor")
    expect(assignee).to_contain_text("ayse")
    first, second = assignee.bounding_box(), distributor.bounding_box()
    # One above the other: side by side the distributor's name was drawn over the assignee.
    live_server.in_app(rename, old)
    assert (
        first["y"] + first["height"] <= second["y"] or second["x"] >= first["x"] + first["width"]
    ), (first, second)


def test_a_phone_selects_the_whole_page_of_cards(browsing, live_server, walk_ids):
    """The table's heading (and its "select this page" box) is hidden on a phone: a box above
    the cards does the same."""
    page = browsing.open(browsing.context("admin", viewport=PHONE), "/facebook-leads/", "sel")
    page_box = page.locator("#select-page-phone")
    expect(page_box).to_be_visible()
    page_box.check()
    cards = page.locator("#lead-rows input.lead-select")
    assert cards.count() >= 1
    for index in range(cards.count()):
        expect(cards.nth(index)).to_be_checked()
    expect(page.locator("#bulk-bar")).to_be_visible()
    expect(page.locator("#bulk-count")).to_contain_text(str(cards.count()))
    first_screen(page, "layout-dashboard-390-selected")
    assert_fits(page, "dashboard, page selected")
    cards.first.uncheck()  # one card less: the page box is no longer ticked
    expect(page_box).not_to_be_checked()
    page_box.check()
    page_box.uncheck()
    expect(page.locator("#bulk-bar")).to_be_hidden()


def test_slash_opens_the_filter_panel_at_the_search_on_a_phone(browsing, live_server, walk_ids):
    page = browsing.open(browsing.context("ayse", viewport=PHONE), "/facebook-leads/", "slash")
    search = page.locator("#q")
    expect(search).to_be_hidden()  # in the closed off-canvas panel
    page.wait_for_function("document.documentElement.dataset.shortcuts === 'on'")
    page.keyboard.press("/")
    expect(search).to_be_visible()
    expect(search).to_be_focused()
    assert search.input_value() == ""  # the "/" itself is not typed into the box
