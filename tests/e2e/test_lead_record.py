"""The lead record in a real browser, in Turkish at a phone's and a desktop's width: a
coordinator corrects a lead (typed values kept on a stale version), a coordinator adds one by
hand (answered "this person already exists" the second time), and a superadmin merges two
leads of one person and undoes it. Screenshots land in test-artifacts/e2e/."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.models import FacebookLead, LeadMerge
from app.services import accounts, lead_record

pytestmark = pytest.mark.browser

WIDTHS = """() => [document.documentElement.scrollWidth, window.innerWidth]"""


def fits(page) -> bool:
    """No sideways scroll once the page has loaded (its stylesheets included: measured while
    a slow machine was still fetching them, an unstyled form is wider than a phone)."""
    page.wait_for_load_state("load")
    scroll, inner = page.evaluate(WIDTHS)
    assert scroll <= inner, f"{scroll}px of content on a {inner}px screen"
    return True


def edit_elsewhere(live_server, lead_id: int, **fields) -> None:
    def run() -> None:
        lead = db.session.get(FacebookLead, lead_id)
        admin = accounts.get_user_by_username("admin")
        lead_record.edit_lead(
            lead, fields, actor=admin, expected_version=lead.version_id, confirm_same_person=True
        )
        db.session.commit()

    live_server.in_app(run)


@pytest.mark.parametrize("width", [390, 1440])
def test_a_lead_is_corrected_in_turkish_and_a_stale_form_keeps_what_was_typed(
    browsing, live_server, width
):
    lead = live_server.new_lead(f"Thomas Schmidt{width}")
    admin = browsing.context("admin", viewport={"width": width, "height": 900})
    page = browsing.open(admin, f"/facebook-leads/{lead.id}?lang=tr", "lead")
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    page.locator("#edit-lead").click()
    expect(page).to_have_url(re.compile(rf"/facebook-leads/{lead.id}/edit$"))
    expect(page.locator("h1")).to_contain_text("düzenle")
    page.fill("#email", f"thomas.{width}@gmail.com")
    page.fill("#notes", "Sadece WhatsApp\n<script>alert(1)</script>")
    assert fits(page)
    browsing.screenshot(page, f"record-tr-{width}-edit")
    page.locator("#lead-edit-form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(rf"/facebook-leads/{lead.id}$"))
    expect(page.locator("#lead-notes")).to_contain_text("<script>alert(1)</script>")
    changes = page.locator(".edit-changes").first
    expect(changes).to_contain_text(f"thomas.{width}@gmail.com")
    assert fits(page)
    browsing.screenshot(page, f"record-tr-{width}-after-edit")

    page.goto(f"{live_server.url}/facebook-leads/{lead.id}/edit")
    page.fill("#city", "Bonn")
    edit_elsewhere(live_server, lead.id, city="Köln")  # someone else saves first
    page.locator("#lead-edit-form button[type=submit]").first.click()
    expect(page.locator("#edit-problem")).to_be_visible()
    expect(page.locator("#city")).to_have_value("Bonn")  # what was typed stays
    expect(page.locator("#saved-now")).to_contain_text("Köln")
    assert fits(page)
    browsing.screenshot(page, f"record-tr-{width}-stale")
    assert browsing.dialogs == [] and browsing.errors == []


def phone_of(live_server, lead_id: int) -> str:
    return live_server.in_app(lambda: db.session.get(FacebookLead, lead_id).phone)


@pytest.mark.parametrize("width", [390, 1440])
def test_two_leads_of_one_person_are_merged_from_the_same_person_panel_and_undone(
    browsing, live_server, width
):
    first = live_server.new_lead(f"Merve Kaya{width}")
    second = live_server.new_lead(f"Merve Kaya B{width}")
    edit_elsewhere(live_server, second.id, phone=phone_of(live_server, first.id), city="Berlin")
    admin = browsing.context("admin", viewport={"width": width, "height": 900})
    page = browsing.open(admin, f"/facebook-leads/{first.id}?lang=tr", "lead")
    page.locator(f'.merge-link[href$="other_id={second.id}"]').click()
    expect(page.locator("#merge-form")).to_be_visible()
    page.locator("#pick_city_other").check()
    assert fits(page)
    browsing.screenshot(page, f"record-tr-{width}-merge")
    page.locator("#merge-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/facebook-leads/{first.id}$"))
    expect(page.locator("#undo-merge")).to_be_visible()
    expect(page.locator("#lead-header")).to_be_visible()
    expect(page.get_by_text("Berlin").first).to_be_visible()
    expect(page.locator(f'a[href="/facebook-leads/{second.id}"]').first).to_be_visible()
    assert fits(page)
    browsing.screenshot(page, f"record-tr-{width}-merged")
    page.locator("#undo-merge button[type=submit]").click()
    expect(page.locator("#undo-merge")).to_have_count(0)
    undone = live_server.in_app(
        lambda: db.session.scalar(
            sa.select(LeadMerge.undone_at).where(LeadMerge.other_id == second.id)
        )
    )
    assert undone is not None
    browsing.screenshot(page, f"record-tr-{width}-undone")
    assert browsing.dialogs == [] and browsing.errors == []


@pytest.mark.parametrize("width", [390, 1440])
def test_a_lead_who_phoned_is_added_by_hand_in_turkish_and_a_repeat_is_offered_as_that_lead(
    browsing, live_server, width
):
    admin = browsing.context("admin", viewport={"width": width, "height": 900})
    page = browsing.open(admin, "/facebook-leads/?lang=tr", "dashboard")
    page.locator("#add-lead").click()
    expect(page).to_have_url(re.compile(r"/facebook-leads/new$"))
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    phone = f"+49 151 2345 {width:04d}"

    def fill() -> None:
        page.select_option("#source", "phone")
        page.select_option("#distributor_id", index=0)  # the only distributor
        page.fill("#first_name", "Hans")
        page.fill("#last_name", f"Müller{width}")
        page.fill("#phone", phone)

    fill()
    assert fits(page)
    browsing.screenshot(page, f"record-tr-{width}-add")
    page.locator("#lead-add-form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/facebook-leads/\d+$"))
    expect(page.locator("#lead-source")).to_be_visible()
    first_id = int(page.url.rsplit("/", 1)[1])

    page.goto(f"{live_server.url}/facebook-leads/new")
    fill()
    page.locator("#lead-add-form button[type=submit]").last.click()
    expect(page.locator("#same-person")).to_be_visible()
    expect(page.locator(f'#same-person a[href="/facebook-leads/{first_id}"]')).to_be_visible()
    expect(page.locator("#phone")).to_have_value(phone)  # what was typed stays
    assert fits(page)
    browsing.screenshot(page, f"record-tr-{width}-add-same-person")
    page.locator('#same-person button[name="confirm_same_person"]').click()
    expect(page).to_have_url(re.compile(r"/facebook-leads/\d+$"))
    assert int(page.url.rsplit("/", 1)[1]) != first_id
    assert browsing.dialogs == [] and browsing.errors == []
