"""Two-factor sign-in in a real browser: enrol by the QR page's key, keep the recovery
codes, then sign in again with one of them (the TOTP code just used is spent)."""

import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD, VIEWPORT

pytestmark = pytest.mark.browser


def test_enrolment_then_sign_in_with_a_code(browsing):
    context = browsing.context("mehmet")
    page = browsing.open(context, "/auth/two-factor/setup", "mehmet-2fa-setup")
    expect(page.locator(".qr-code svg")).to_be_visible()
    box = page.locator(".qr-code svg").bounding_box()
    assert box["width"] >= 150  # big enough for a phone to scan
    browsing.screenshot(page, "two-factor-setup-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    browsing.screenshot(page, "two-factor-setup-390")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size(VIEWPORT)

    secret = page.locator("#totp-secret").inner_text().strip()
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("[type=submit].btn-primary")
    codes = page.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    recovery = codes.nth(0).inner_text().strip()
    browsing.screenshot(page, "two-factor-recovery-codes")
    page.click("text=I have saved them")
    expect(page.locator(".badge.text-bg-success")).to_have_text("On")

    page.locator("form[action$='/auth/logout'] button").click()
    expect(page).to_have_url(re.compile(r"/auth/login$"))
    page.fill("#username", "mehmet")
    page.fill("#password", PASSWORD)
    page.click("[type=submit]")
    expect(page).to_have_url(re.compile(r"/auth/two-factor"))
    browsing.screenshot(page, "two-factor-code")
    page.fill("#code", "000000")
    page.click("[type=submit]")
    expect(page.locator(".invalid-feedback")).to_contain_text("That code is not right")
    page.fill("#code", recovery)
    page.click("[type=submit]")
    expect(page).to_have_url(re.compile(r"/facebook-leads/my-day$"))
