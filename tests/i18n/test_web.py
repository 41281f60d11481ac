"""Which language a request is answered in, and what the pages look like in Turkish and Arabic:
`?lang=` once (cookie + the user's own setting), the user's setting, the cookie,
`Accept-Language`, then DEFAULT_LOCALE; `<html lang dir>`; lead data never translated."""

import json
import re
from html import unescape

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import FacebookLead, LeadStatus, User
from tests import factories
from tests.conftest import AuthActions, config_for

TURKISH = {"Accept-Language": "tr-TR,tr;q=0.9,en;q=0.8"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
ARABIC = {"Accept-Language": "ar-SA,ar;q=0.9"}
GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}
TR_HTML = '<html lang="tr" dir="ltr" data-locale="tr">'
EN_HTML = '<html lang="en" dir="ltr" data-locale="en-GB">'  # en-GB formats English dates
AR_HTML = '<html lang="ar" dir="rtl" data-locale="ar">'


def html_tag(response) -> str:
    return re.search(r"<html[^>]*>", response.get_data(as_text=True)).group(0)


def text_of(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def ui_strings(response) -> dict:
    block = re.search(
        r'<script type="application/json" id="ui-strings">(.*?)</script>',
        response.get_data(as_text=True),
        re.S,
    )
    return json.loads(block.group(1))


def user_language(app, username: str) -> str | None:
    with app.app_context():
        return db.session.scalar(sa.select(User.language).where(User.username == username))


def test_the_browsers_language_picks_the_page_language(client):
    turkish = client.get("/auth/login", headers=TURKISH)
    assert html_tag(turkish) == TR_HTML
    assert "Giriş yap" in text_of(turkish) and "Sign in" not in text_of(turkish)
    english = client.get("/auth/login", headers=ENGLISH)
    assert html_tag(english) == EN_HTML and "Sign in" in text_of(english)


def test_a_language_nobody_speaks_here_falls_back_to_default_locale(database):
    app = create_app(config_for(database, DEFAULT_LOCALE="tr"))
    client = app.test_client()
    for headers in (GERMAN, {}):
        assert html_tag(client.get("/auth/login", headers=headers)) == TR_HTML


def test_default_locale_must_be_one_of_the_languages(database):
    with pytest.raises(RuntimeError, match="DEFAULT_LOCALE"):
        create_app(config_for(database, DEFAULT_LOCALE="de"))


def test_lang_parameter_sets_a_cookie_and_redirects_to_the_page_without_it(client):
    response = client.get("/auth/login?next=/facebook-leads/&lang=ar", headers=TURKISH)
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/login?next=%2Ffacebook-leads%2F"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=ar;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/auth/login", headers=TURKISH)  # the cookie now beats the browser
    assert html_tag(page) == AR_HTML
    assert "تسجيل الدخول" in text_of(page)
    assert "bootstrap.rtl.min.css" in page.get_data(as_text=True)


def test_an_unknown_lang_parameter_is_ignored(client):
    response = client.get("/auth/login?lang=de", headers=ENGLISH)
    assert response.status_code == 200
    assert not [c for c in response.headers.getlist("Set-Cookie") if c.startswith("lang=")]
    assert html_tag(response) == EN_HTML


def test_lang_parameter_when_signed_in_becomes_the_users_own_setting(app, client, auth, users):
    auth.login("ayse")
    assert client.get("/facebook-leads/?lang=tr", headers=ENGLISH).status_code == 303
    assert user_language(app, "ayse") == "tr"
    # Another browser, English, no cookie: ayşe still reads Turkish once signed in.
    other = app.test_client()
    AuthActions(other).login("ayse")
    page = other.get("/facebook-leads/", headers=ENGLISH)
    assert html_tag(page) == TR_HTML and "Adaylarım" in text_of(page)
    assert user_language(app, "mehmet") is None


def test_the_users_setting_beats_cookie_and_browser(app, client, auth, users):
    with app.app_context():
        db.session.get(User, users["mehmet"]).language = "ar"
        db.session.commit()
    client.get("/auth/login?lang=tr")  # cookie: tr
    auth.login("mehmet")
    page = client.get("/facebook-leads/", headers=ENGLISH)
    assert html_tag(page) == AR_HTML


def test_the_navigation_offers_each_language_in_its_own_words(client):
    page = client.get("/auth/login?next=/x", headers=ENGLISH).get_data(as_text=True)
    for code, name in (("tr", "Türkçe"), ("en", "English"), ("ar", "العربية")):
        link = re.escape(f'href="/auth/login?next=%2Fx&amp;lang={code}"')
        assert re.search(rf'<a class="dropdown-item[^"]*" {link}\s+lang="{code}"', page), code
        assert f">{name}</a>" in page


@pytest.fixture
def turkish_admin(app, client, auth, users):
    with app.app_context():
        db.session.get(User, users["admin"]).language = "tr"
        db.session.commit()
    auth.login("admin")
    return client


def test_dashboard_in_turkish_labels_statuses_and_counts_leads(app, turkish_admin):
    with app.app_context():
        factories.make_lead(status=LeadStatus.NEW)
        db.session.commit()
    page = turkish_admin.get("/facebook-leads/")
    text = text_of(page)
    assert "1 aday" in text and "Bugün gelen" in text and "Geliş zamanı" in text
    assert "Görüşüldü" in text and "Kazanıldı" in text and "Contacted" not in text
    assert "az önce" in text  # the received time, relative, with the absolute on hover
    assert re.search(
        r'<time datetime="[^"]+" title="\d{1,2} [A-ZÇŞĞÜÖİa-zçşğüöı]+ \d{4} ', page.text
    )
    strings = ui_strings(page)
    assert strings["status"]["converted"] == "Kazanıldı"
    assert strings["newLeads"] == {
        "one": "{count} yeni aday geldi.",
        "other": "{count} yeni aday geldi.",
    }


def test_lead_data_is_never_translated_only_all_capital_names_get_their_case(app, turkish_admin):
    with app.app_context():
        lead = factories.make_lead(
            first_name="İLKER",
            last_name="IŞIK",
            phone="+905321112233",
            form_data=[{"name": "which_treatment?", "values": ["Hair transplant, New"]}],
            service="hair_transplant",
        )
        other = factories.make_lead(first_name="New", last_name="Contacted", phone=None)
        db.session.commit()
        ids = lead.id, other.id
    detail = text_of(turkish_admin.get(f"/facebook-leads/{ids[0]}"))
    assert "İlker Işık" in detail  # shown in title case, by Turkish rules
    assert "Hair transplant, New" in detail  # the patient's answer, as typed
    assert "Saç ekimi" in detail  # our treatment label, translated
    assert "New Contacted" in text_of(turkish_admin.get(f"/facebook-leads/{ids[1]}"))
    with app.app_context():
        stored = db.session.get(FacebookLead, ids[0])
        assert (stored.first_name, stored.last_name) == ("İLKER", "IŞIK")


def test_lead_page_in_arabic_is_right_to_left_and_translated(app, client, auth, users):
    with app.app_context():
        lead_id = factories.make_lead().id
        db.session.commit()
    auth.login("admin")
    client.get("/auth/login?lang=ar")  # signed in: becomes admin's own setting
    page = client.get(f"/facebook-leads/{lead_id}")
    assert html_tag(page) == AR_HTML
    text = text_of(page)
    assert "السجل" in text and "تغيير الحالة" in text and "جديد" in text
    assert len(ui_strings(page)["leadTotal"]) == 6  # zero, one, two, few, many, other


def test_a_refused_action_is_explained_in_the_users_language_with_an_english_code(
    app, turkish_admin
):
    with app.app_context():
        lead_id = factories.make_lead(status=LeadStatus.NEW).id
        db.session.commit()
    response = turkish_admin.post(f"/facebook-leads/{lead_id}/status", json={"status": "converted"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_transition"
    assert error["message"].startswith("“Yeni” durumundaki bir aday “Kazanıldı” durumuna geçemez.")


def test_form_validation_messages_are_turkish(client):
    page = client.post("/auth/login", data={"username": "", "password": ""}, headers=TURKISH)
    assert "Bu alan zorunludur." in text_of(page)


def test_flash_and_error_pages_follow_the_language(app, turkish_admin):
    assert "Bulunamadı" in text_of(turkish_admin.get("/facebook-leads/999999"))
    turkish_admin.post("/auth/logout")
    assert "Çıkış yaptınız." in text_of(turkish_admin.get("/auth/login", headers=TURKISH))


def test_other_http_errors_are_explained_in_the_language_with_english_codes(turkish_admin):
    page = turkish_admin.get("/auth/logout")  # POST only
    assert page.status_code == 405 and "Burada yapılamaz" in text_of(page)
    missing = turkish_admin.get("/facebook-leads/api/leads/999999")
    assert missing.get_json()["error"] == {
        "code": "not_found",
        "message": "Burada bir şey yok ya da görme yetkiniz yok.",
    }


@pytest.mark.parametrize("path", ["//evil.example/x", "/\\evil.example/x", "/\\/evil.example/x"])
def test_the_language_redirect_and_links_stay_on_this_site(client, path):
    response = client.get("/", environ_overrides={"PATH_INFO": path, "QUERY_STRING": "lang=tr"})
    assert response.headers["Location"] == "/evil.example/x"
    page = client.get("/", environ_overrides={"PATH_INFO": path}).get_data(as_text=True)
    assert 'href="/evil.example/x?lang=ar"' in page and "//evil" not in page
