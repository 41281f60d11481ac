"""Merging through the pages and JSON: the field-by-field page, the merged timeline and its
undo on the lead page, the refusals with their reasons, superadmins only."""

import pytest
from markupsafe import escape

from app.extensions import db
from app.models import FacebookLead
from tests import factories

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def leads(app, users):
    with app.app_context():
        distributor = factories.make_distributor()
        first = factories.make_lead(distributor_id=distributor.id, email="a@example.con", city=None)
        second = factories.make_lead(
            distributor_id=distributor.id, email="a@example.com", city=HOSTILE
        )
        elsewhere = factories.make_lead(distributor_id=factories.make_distributor().id)
        db.session.commit()
        return first.id, second.id, elsewhere.id


def stored(app, lead_id: int) -> FacebookLead:
    with app.app_context():
        lead = db.session.get(FacebookLead, lead_id)
        db.session.expunge(lead)
        return lead


def test_merge_page_merge_and_undo(client, auth, app, leads):
    first, second, _elsewhere = leads
    auth.login("admin")
    page = client.get(f"/facebook-leads/{first}/merge?other_id={second}").get_data(as_text=True)
    assert "a@example.con" in page and "a@example.com" in page
    assert str(escape(HOSTILE)) in page and HOSTILE not in page
    assert 'id="pick_city_other" value="other" checked' in page  # only the other has a city
    form = {"other_id": str(second), "version_id": "1", "pick_email": "other", "pick_city": "other"}
    merged = client.post(f"/facebook-leads/{first}/merge", data=form)
    assert merged.status_code == 303
    survivor = stored(app, first)
    assert (survivor.email, survivor.city) == ("a@example.com", HOSTILE)
    assert stored(app, second).duplicate_of_id == first
    lead_page = client.get(f"/facebook-leads/{first}").get_data(as_text=True)
    assert 'id="undo-merge"' in lead_page and f"from #{second}" in lead_page
    action = lead_page.split('id="undo-merge"')[0].rsplit('action="', 1)[1].split('"')[0]
    undone = client.post(action)
    assert undone.status_code == 303
    assert (
        stored(app, first).email == "a@example.con" and stored(app, second).duplicate_of_id is None
    )
    assert 'id="undo-merge"' not in client.get(f"/facebook-leads/{first}").get_data(as_text=True)


def test_merge_refusals_say_why(client, auth, app, leads):
    first, second, elsewhere = leads
    auth.login("admin")
    itself = client.post(f"/facebook-leads/{first}/merge", json={"other_id": first})
    assert itself.status_code == 400 and "itself" in itself.json["error"]["message"]
    across = client.post(f"/facebook-leads/{first}/merge", json={"other_id": elsewhere})
    assert across.status_code == 400 and "distributors" in across.json["error"]["message"]
    page = client.get(f"/facebook-leads/{first}/merge?other_id={elsewhere}")
    assert page.status_code == 400 and 'id="merge-problem"' in page.get_data(as_text=True)
    stale = client.post(
        f"/facebook-leads/{first}/merge", json={"other_id": second, "version_id": 9}
    )
    assert stale.status_code == 409
    done = client.post(f"/facebook-leads/{first}/merge", json={"other_id": second, "pick": {}})
    assert done.status_code == 200 and done.json["survivor_id"] == first


def test_staff_cannot_merge(client, auth, app, leads):
    first, second, _elsewhere = leads
    auth.login("ayse")
    assert (
        client.post(f"/facebook-leads/{first}/merge", json={"other_id": second}).status_code == 403
    )
    assert stored(app, second).duplicate_of_id is None
