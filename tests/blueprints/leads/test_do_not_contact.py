"""Do not contact on the lead page (form post and JSON): who may set and lift it, the call,
WhatsApp and email buttons hidden with the reason shown, the dashboard badge and filter, the
superadmins' notice of returning people, and "contactable only" exports over HTTP."""

import csv
import io
import json

import openpyxl
import pytest

from app.extensions import db
from app.models import FacebookLead, User
from app.services import do_not_contact, lead_workflow
from tests import factories


@pytest.fixture
def lead_id(app, users):
    with app.app_context():
        lead = factories.make_lead(first_name="Zeynep", phone="+905321112233")
        admin = db.session.get(User, users["admin"])
        lead_workflow.assign(lead, db.session.get(User, users["ayse"]), actor=admin)
        db.session.commit()
        return lead.id


def flag_of(app, lead_id):
    with app.app_context():
        lead = db.session.get(FacebookLead, lead_id)
        return lead.do_not_contact_reason, lead.do_not_contact_by_id


def mark(app, lead_id, who, reason="patient_request"):
    with app.app_context():
        lead = db.session.get(FacebookLead, lead_id)
        do_not_contact.mark(lead, actor=db.session.get(User, who), reason=reason)
        db.session.commit()


def test_the_owner_marks_it_from_the_page_and_the_buttons_go(app, client, auth, users, lead_id):
    auth.login("ayse")
    page = client.get(f"/facebook-leads/{lead_id}").get_data(as_text=True)
    assert 'id="contact-buttons"' in page and "Mark do not contact…" in page
    response = client.post(
        f"/facebook-leads/{lead_id}/do-not-contact",
        data={"do_not_contact": "1", "reason": "wrong_number"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Marked do not contact." in page
    assert flag_of(app, lead_id) == ("wrong_number", users["ayse"])
    assert 'id="contact-buttons"' not in page and "tel:" not in page and "wa.me" not in page
    assert 'id="dnc-flag"' in page and "Wrong number" in page and "set by ayse" in page
    assert "Lift do not contact" not in page  # staff cannot lift it
    assert "Marked do not contact: wrong number." in page  # the timeline row
    response = client.post(
        f"/facebook-leads/{lead_id}/do-not-contact", data={"do_not_contact": "0"}
    )
    assert flag_of(app, lead_id) == ("wrong_number", users["ayse"])
    assert response.status_code in (302, 303)


def test_a_reason_is_required_and_another_staff_member_gets_404(app, client, auth, lead_id):
    auth.login("ayse")
    client.post(f"/facebook-leads/{lead_id}/do-not-contact", data={"do_not_contact": "1"})
    assert flag_of(app, lead_id) == (None, None)
    auth.logout()
    auth.login("mehmet")
    response = client.post(
        f"/facebook-leads/{lead_id}/do-not-contact",
        data={"do_not_contact": "1", "reason": "complaint"},
    )
    assert response.status_code == 404 and flag_of(app, lead_id) == (None, None)


def test_a_superadmin_lifts_it_by_json_with_the_version(app, client, auth, users, lead_id):
    mark(app, lead_id, users["ayse"], "complaint")
    auth.login("admin")
    page = client.get(f"/facebook-leads/{lead_id}").get_data(as_text=True)
    assert "Lift do not contact" in page and "Complaint" in page
    with app.app_context():
        version = db.session.get(FacebookLead, lead_id).version_id
    stale = client.post(
        f"/facebook-leads/{lead_id}/do-not-contact",
        json={"do_not_contact": False, "version_id": version - 1},
    )
    assert stale.status_code == 409
    done = client.post(
        f"/facebook-leads/{lead_id}/do-not-contact",
        json={"do_not_contact": False, "version_id": version},
    )
    assert done.status_code == 200 and flag_of(app, lead_id) == (None, None)
    assert done.get_json()["do_not_contact"] is False
    api = client.get(f"/facebook-leads/api/leads/{lead_id}").get_json()
    assert api["do_not_contact"] is False and api["patient_time_zone"] == "Europe/Istanbul"
    bad = client.post(f"/facebook-leads/{lead_id}/do-not-contact", json={"do_not_contact": "x"})
    assert bad.status_code == 400


def test_the_dashboard_badges_filters_and_tells_superadmins_of_returning_people(
    app, client, auth, users, lead_id
):
    mark(app, lead_id, users["ayse"])
    with app.app_context():
        returning = factories.make_lead(first_name="Again")
        returning.do_not_contact_at = db.session.get(FacebookLead, lead_id).do_not_contact_at
        returning.do_not_contact_reason = "patient_request"
        db.session.commit()
    auth.login("admin")
    page = client.get("/facebook-leads/").get_data(as_text=True)
    assert "do not contact</span>" in page
    assert "1 do-not-contact person asked again: review" in page
    listed = client.get("/facebook-leads/?contact=returning").get_data(as_text=True)
    assert "Again" in listed and "Zeynep" not in listed
    listed = client.get("/facebook-leads/?contact=ok").get_data(as_text=True)
    assert "Again" not in listed and "Zeynep" not in listed


def test_exports_over_http_leave_flagged_leads_out_when_asked(app, client, auth, users, lead_id):
    with app.app_context():
        factories.make_lead(first_name="Open")
        db.session.commit()
    mark(app, lead_id, users["ayse"], "complaint")
    auth.login("admin")
    text = client.get("/facebook-leads/export.csv?columns=first_name,do_not_contact").get_data(
        as_text=True
    )
    header, *rows = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    assert header == ["First name", "Do not contact"]
    assert sorted(rows) == [["Open", ""], ["Zeynep", "Complaint"]]
    only = client.get("/facebook-leads/export.csv?columns=first_name&contact=ok")
    assert "Zeynep" not in only.get_data(as_text=True) and "Open" in only.get_data(as_text=True)
    url = "/facebook-leads/export.json?columns=first_name,do_not_contact&contact=dnc"
    data = json.loads(client.get(url).get_data(as_text=True))
    assert data == [{"first_name": "Zeynep", "do_not_contact": "complaint"}]
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/facebook-leads/export.xlsx?columns=first_name&contact=ok").data)
    )
    assert [r[0] for r in book.active.iter_rows(values_only=True)] == ["First name", "Open"]
