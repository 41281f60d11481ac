"""The WhatsApp templates admin page (superadmins) and the lead page's contact buttons."""

from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import User, WhatsAppTemplate
from app.services import lead_workflow
from tests import factories

PAGE = "/admin/whatsapp-templates"


def templates(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(sa.select(WhatsAppTemplate).order_by(WhatsAppTemplate.id))
        return [(t.language, t.treatment, t.body) for t in rows]


@pytest.fixture
def admin(auth, users):
    auth.login("admin")


def test_a_superadmin_adds_edits_and_removes_a_template(app, client, admin):
    page = client.get(PAGE).get_data(as_text=True)
    assert "No templates yet" in page and "Merhaba {first_name}" in page  # a built-in text
    form = client.get(f"{PAGE}/new?language=de").get_data(as_text=True)
    assert "Hallo {first_name}" in form
    body = "Hallo {first_name}, {coordinator} hier: {treatment}"
    response = client.post(
        f"{PAGE}/new", data={"language": "de", "treatment": "veneers", "body": body}
    )
    assert response.headers["Location"].endswith(PAGE)
    assert templates(app) == [("de", "veneers", body)]
    with app.app_context():
        template_id = db.session.scalar(sa.select(WhatsAppTemplate.id))
    client.post(
        f"{PAGE}/{template_id}/edit", data={"language": "de", "treatment": "", "body": "Hallo"}
    )
    assert templates(app) == [("de", "", "Hallo")]
    client.post(f"{PAGE}/{template_id}/remove")
    assert templates(app) == []
    assert client.get(f"{PAGE}/{template_id}/edit").status_code == 404


def test_a_bad_template_comes_back_with_the_reason(app, client, admin):
    response = client.post(
        f"{PAGE}/new", data={"language": "tr", "treatment": "", "body": "Selam {isim}"}
    )
    assert response.status_code == 200
    assert "Unknown placeholder {isim}" in response.get_data(as_text=True)
    assert templates(app) == []


def test_staff_cannot_open_or_change_templates(app, client, auth, users):
    auth.login("ayse")
    assert client.get(PAGE).status_code == 403
    response = client.post(f"{PAGE}/new", data={"language": "tr", "body": "x"})
    assert response.status_code == 403
    assert templates(app) == []


def test_the_lead_page_has_big_call_whatsapp_and_email_buttons_with_the_template(
    app, client, auth, users
):
    with app.app_context():
        admin = db.session.get(User, users["admin"])
        lead = factories.make_lead(
            first_name="Jonas", phone="+4915112345678", country_code="DE", service="veneers"
        )
        lead_workflow.assign(lead, db.session.get(User, users["ayse"]), actor=admin)
        db.session.commit()
        lead_id = lead.id
    auth.login("ayse")
    page = client.get(f"/facebook-leads/{lead_id}").get_data(as_text=True)
    buttons = page[page.index('id="contact-buttons"') : page.index('id="log-it"')]
    assert 'href="tel:+4915112345678" data-contact="call"' in buttons
    assert 'data-contact="email"' in buttons and "mailto:" in buttons
    href = buttons.split('href="https://wa.me/', 1)[1].split('"', 1)[0]
    text = parse_qs(urlsplit("https://wa.me/" + href.replace("&amp;", "&")).query)["text"][0]
    assert text.startswith("Hallo Jonas, hier ist ayse von MSH Med Tour.")
    assert "Back from the call? Log how it went." in page
    assert page.index('id="interaction-form"') < page.index('id="status-form"')  # one step first
