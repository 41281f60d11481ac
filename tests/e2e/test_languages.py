"""The login, the dashboard and a lead page in Turkish and in Arabic (right to left), in a real
browser at phone (390 px) and desktop (1440 px) widths: translated, nothing wider than the
window, the Arabic layout mirrored, live updates in the page's language. Screenshots land in
test-artifacts/e2e/ (languages-<lang>-<width>-<page>.png)."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

CONNECT_MS = 10_000
ARRIVAL_MS = 5_000
WORDS = {
    "tr": {
        "sign_in": "Giriş yap",
        "live": "Canlı",
        "new": "Yeni",
        "received_today": "Bugün gelen",
        "logged": "Kaydedildi.",
        "call": "Arama",
        "reached": "Ulaşıldı",
        "just_now": "az önce",
        "timeline": "Geçmiş",
    },
    "ar": {
        "sign_in": "تسجيل الدخول",
        "live": "مباشر",
        "new": "جديد",
        "received_today": "وصل اليوم",
        "logged": "تم التسجيل.",
        "call": "مكالمة",
        "reached": "تم الوصول إليه",
        "just_now": "الآن",
        "timeline": "السجل",
    },
}
DIRECTION = {"tr": "ltr", "ar": "rtl"}

# Visible elements sticking out of the window (a scrolling table's cells scroll inside it).
OVERFLOW = """() => {
  const width = window.innerWidth;
  const offenders = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest(".table-responsive > *, .scroll-x > *, script")) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (getComputedStyle(el).visibility === "hidden") continue;
    if (box.right > width + 1 || box.left < -1) {
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "");
      const span = `[${Math.round(box.left)}, ${Math.round(box.right)}]`;
      offenders.push(`${name}.${[...el.classList].join(".")} ${span}`);
    }
  }
  const scrollWidth = document.documentElement.scrollWidth;
  return { scrollWidth, width, offenders: offenders.slice(0, 10) };
}"""


def assert_fits(page) -> None:
    layout = page.evaluate(OVERFLOW)
    assert layout["offenders"] == [] and layout["scrollWidth"] <= layout["width"], layout


def left_of(page, selector: str) -> float:
    return page.locator(selector).first.bounding_box()["x"]


def assert_page_language(page, language: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("html")).to_have_attribute("dir", DIRECTION[language])


def assert_mirrored(page, language: str, width: int) -> None:
    """The brand sits at the start of the line: left in Turkish, right in Arabic."""
    brand = page.locator(".navbar-brand").bounding_box()
    if language == "ar":
        assert brand["x"] + brand["width"] > width * 0.6, brand
    else:
        assert brand["x"] < width * 0.4, brand


def shoot(browsing, page, language: str, width: int, name: str) -> None:
    path = browsing.screenshot(page, f"languages-{language}-{width}-{name}")
    assert path.stat().st_size > 5_000, path


@pytest.mark.parametrize("width", [390, 1440])
@pytest.mark.parametrize("language", ["tr", "ar"])
def test_login_in_the_language_chosen_on_it(browsing, language, width):
    words, viewport = WORDS[language], {"width": width, "height": 900}
    anonymous = browsing.context(viewport=viewport)
    page = browsing.open(anonymous, f"/auth/login?lang={language}", "login")
    expect(page).to_have_url(re.compile(r"/auth/login$"))  # ?lang= is kept in a cookie
    assert_page_language(page, language)
    expect(page.locator("h1")).to_have_text(words["sign_in"])
    assert_mirrored(page, language, width)
    label, field = page.locator("label[for=username]"), page.locator("#username")
    if language == "ar":  # labels start at the right edge of their field
        assert (
            abs(
                (label.bounding_box()["x"] + label.bounding_box()["width"])
                - (field.bounding_box()["x"] + field.bounding_box()["width"])
            )
            < 20
        )
    assert_fits(page)
    shoot(browsing, page, language, width, "login")


@pytest.mark.parametrize("width", [390, 1440])
@pytest.mark.parametrize("language", ["tr", "ar"])
def test_dashboard_in_language_updates_live_in_it(browsing, live_server, language, width):
    words = WORDS[language]
    admin = browsing.context("admin", viewport={"width": width, "height": 900})
    page = browsing.open(admin, f"/facebook-leads/?lang={language}", "dashboard")
    assert_page_language(page, language)
    expect(page.locator("#live-status")).to_have_text(words["live"], timeout=CONNECT_MS)
    expect(page.locator("#stat-cards")).to_contain_text(words["received_today"])
    assert_mirrored(page, language, width)
    if width > 1000:  # the table reads from the start side: Name first
        name, received = left_of(page, "thead th:first-child"), left_of(page, "thead th:last-child")
        assert (name > received) if language == "ar" else (name < received)
    if width < 768:  # the filters are in an off-canvas panel on a phone
        page.locator("#filter-toolbar [data-bs-toggle=offcanvas]").click()
    page.locator("#lead-filters summary").click()  # the date filters and their hint
    expect(page.locator("#date-format")).to_be_visible()
    assert_fits(page)
    shoot(browsing, page, language, width, "dashboard")
    if width < 768:
        page.keyboard.press("Escape")
        expect(page.locator("#lead-filters")).to_be_hidden()
    if width < 768:
        # Once the filters' panel is gone and the menu has finished opening (a click on the
        # language toggle during either animation was lost once in CI).
        expect(page.locator(".offcanvas-backdrop")).to_have_count(0)
        page.locator(".navbar-toggler").click()
        expect(page.locator("#nav")).to_have_class(re.compile(r"\bshow\b"))
    page.locator("#language-menu .dropdown-toggle").click()
    expect(page.locator("#language-menu .dropdown-menu")).to_be_visible()
    assert_fits(page)
    shoot(browsing, page, language, width, "dashboard-menu")
    page.keyboard.press("Escape")

    today = int(re.sub(r"\D", "", page.locator('[data-stat="today"]').inner_text()))
    meta_id = live_server.add_sandbox_lead()
    assert live_server.sync() == 1
    lead = live_server.lead_by_meta_id(meta_id)
    top = page.locator("#lead-rows tr[data-lead-id]").first
    expect(top).to_have_attribute("data-lead-id", str(lead.id), timeout=ARRIVAL_MS)
    expect(top.locator("td:nth-child(6) .badge")).to_have_text(words["new"])
    expect(top.locator("time")).to_have_text(words["just_now"])
    # Intl writes the count in the page's language, with the Latin digits the server uses.
    expect(page.locator('[data-stat="today"]')).to_have_text(
        re.compile(rf"^{today + 1:,}$".replace(",", "[.,]")), timeout=ARRIVAL_MS
    )
    assert_fits(page)


@pytest.mark.parametrize("width", [390, 1440])
@pytest.mark.parametrize("language", ["tr", "ar"])
def test_lead_page_in_language(browsing, live_server, language, width):
    words = WORDS[language]
    lead = live_server.new_lead("AYŞE YILDIZ", assign_to="ayse")
    assert lead.name == "Ayşe Yıldız"  # shown in title case; stored as typed
    admin = browsing.context("admin", viewport={"width": width, "height": 900})
    page = browsing.open(admin, f"/facebook-leads/{lead.id}?lang={language}", "lead")
    assert_page_language(page, language)
    expect(page.locator("#lead-header h1")).to_have_text("Ayşe Yıldız")
    page.select_option("#interaction_type", "call")
    page.select_option("#result", "reached")
    page.fill("#description", "Fiyat sordu; hafta sonundan sonra arayacak.")
    page.click("#interaction-form [type=submit]")
    expect(page.locator(".alert-success")).to_contain_text(words["logged"])
    timeline = page.locator(".card", has_text=words["timeline"]).last
    expect(timeline).to_contain_text(f"{words['call']} · {words['reached']}")
    expect(timeline).to_contain_text("Fiyat sordu; hafta sonundan sonra arayacak.")
    assert_mirrored(page, language, width)
    if width > 1000:  # the contact column comes first: on the right in Arabic
        contact, answers = left_of(page, "#contact-card"), left_of(page, ".answers")
        assert (contact > answers) if language == "ar" else (contact < answers)
    assert_fits(page)
    shoot(browsing, page, language, width, "lead")
