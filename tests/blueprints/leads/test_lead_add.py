"""Adding a lead by hand through the page and the API: 201 with its id, the duplicate prompt
("this person already exists: open it / add as re-inquiry"), bad input, hostile text, and
the source shown where Meta's platform is."""

import pytest
import sqlalchemy as sa
from markupsafe import escape

from app.extensions import db
from app.models import FacebookLead
from tests import factories

HOSTILE = '=HYPERLINK("http://evil")<script>alert(1)</script>'


@pytest.fixture
def distributor_id(app, users):
    with app.app_context():
        distributor = factories.make_distributor("Clinic")
        db.session.commit()
        return distributor.id


def stored(app, lead_id: int) -> FacebookLead:
    with app.app_context():
        lead = db.session.get(FacebookLead, lead_id)
        db.session.expunge(lead)
        return lead


def post(client, **body):
    return client.post("/facebook-leads/api/leads", json=body)


def test_the_api_adds_a_lead_and_offers_the_person_who_exists(client, auth, app, distributor_id):
    auth.login("admin")
    made = post(client, source="phone", first_name=HOSTILE, phone="0532 111 22 33")
    assert made.status_code == 201, made.json
    lead = stored(app, made.json["id"])
    assert (lead.source, lead.phone, lead.first_name) == ("phone", "+905321112233", HOSTILE)
    again = post(client, source="walk_in", phone="+90 532 111 22 33")
    assert again.status_code == 409 and again.json["error"]["code"] == "same_person"
    assert again.json["error"]["lead_ids"] == [lead.id]
    linked = post(client, source="walk_in", phone="+90 532 111 22 33", reinquiry=True)
    assert linked.status_code == 201
    assert stored(app, linked.json["id"]).duplicate_of_id == lead.id
    assert post(client, source="fax", phone="+905321112244").status_code == 400
    assert post(client, source="phone", email="nope@").status_code == 400
    assert (
        post(client, source="phone", phone="+905321112244", distributor_id="1").status_code == 400
    )


def test_the_page_adds_a_lead_and_shows_its_source(client, auth, app, distributor_id):
    auth.login("admin")
    assert client.get("/facebook-leads/new").status_code == 200
    form = {
        "source": "referral",
        "distributor_id": str(distributor_id),
        "first_name": HOSTILE,
        "last_name": "Zeynep",
        "email": "zeynep@example.com",
        "service": "ivf",
        "notes": "Referred by her sister",
    }
    answer = client.post("/facebook-leads/new", data=form)
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Referral" in page and "Referred by her sister" in page
    assert str(escape(HOSTILE)) in page and HOSTILE not in page
    dashboard = client.get("/facebook-leads/?source=referral").get_data(as_text=True)
    assert "Zeynep" in dashboard and "lead-source" in dashboard
    assert "Zeynep" not in client.get("/facebook-leads/?source=meta").get_data(as_text=True)
    export = client.get("/facebook-leads/export.csv?columns=name,source").get_data(as_text=True)
    assert "Referral" in export and "'=HYPERLINK" in export


def test_the_page_offers_the_person_who_exists(client, auth, app, distributor_id):
    with app.app_context():
        first = factories.make_lead(distributor_id=distributor_id, email="ali@example.com").id
        db.session.commit()
    auth.login("admin")
    form = {"source": "phone", "distributor_id": str(distributor_id), "email": "ali@example.com"}
    answer = client.post("/facebook-leads/new", data=form)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 409 and f'href="/facebook-leads/{first}"' in text
    assert 'value="ali@example.com"' in text  # what was typed stays
    again = client.post("/facebook-leads/new", data=form | {"confirm_same_person": "1"})
    assert again.status_code == 303
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count()).where(FacebookLead.duplicate_of_id == first)
        )
    assert count == 1


def test_staff_add_leads_too_and_are_told_where_a_routed_one_went(
    client, auth, app, distributor_id
):
    auth.login("ayse")
    form = {"source": "phone", "distributor_id": str(distributor_id), "phone": "+905321119999"}
    answer = client.post("/facebook-leads/new", data=form)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/my-day")
