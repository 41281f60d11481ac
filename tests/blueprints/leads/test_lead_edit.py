"""Editing a lead: the JSON PATCH and the edit page, their refusals (409 stale with the typed
values kept, invalid values, the same person), role rules, and hostile text kept as text."""

import pytest
from markupsafe import escape

from app.extensions import db
from app.models import FacebookLead
from tests import factories

HOSTILE = '<script>alert("x")</script>=HYPERLINK("http://x")'


def add_lead(app, **values) -> int:
    with app.app_context():
        lead_id = factories.make_lead(**values).id
        db.session.commit()
        return lead_id


def stored(app, lead_id: int) -> FacebookLead:
    with app.app_context():
        lead = db.session.get(FacebookLead, lead_id)
        db.session.expunge(lead)
        return lead


def patch(client, lead_id: int, **body):
    return client.patch(f"/facebook-leads/api/leads/{lead_id}", json=body)


def test_patch_saves_normalised_values_and_answers_with_the_lead(client, auth, users, app):
    lead_id = add_lead(app, email="thomas.schmidt@gmail.con")
    auth.login("admin")
    answer = patch(client, lead_id, version_id=1, email="thomas.schmidt@gmail.com", city=HOSTILE)
    assert answer.status_code == 200, answer.json
    assert answer.json["email"] == "thomas.schmidt@gmail.com" and answer.json["city"] == HOSTILE
    assert answer.json["version_id"] == 2 and answer.json["source"] == "meta"
    assert answer.json["timeline"][0]["type"] == "edit"
    page = client.get(f"/facebook-leads/{lead_id}").get_data(as_text=True)
    assert str(escape(HOSTILE)) in page and HOSTILE not in page
    assert "thomas.schmidt@gmail.con" in page  # the old value, on the timeline row


def test_patch_refusals(client, auth, users, app):
    first = add_lead(app, phone="+905321112233")
    lead_id = add_lead(app)
    auth.login("admin")
    stale = patch(client, lead_id, version_id=7, city="Bonn")
    assert stale.status_code == 409 and stale.json["error"]["code"] == "conflict"
    bad = patch(client, lead_id, version_id=1, phone="not a phone")
    assert bad.status_code == 400 and "phone" in bad.json["error"]["message"]
    same = patch(client, lead_id, version_id=1, phone="+90 532 111 22 33")
    assert same.status_code == 409 and same.json["error"]["code"] == "same_person"
    assert same.json["error"]["lead_ids"] == [first]
    assert patch(client, lead_id, city="Bonn").status_code == 400  # version_id is required
    assert stored(app, lead_id).version_id == 1 and stored(app, lead_id).city is None


def test_staff_edit_only_their_own_leads(client, auth, users, app):
    own = add_lead(app, assigned_to_id=users["ayse"])
    other = add_lead(app, assigned_to_id=users["mehmet"])
    auth.login("ayse")
    assert patch(client, other, version_id=1, city="Bonn").status_code == 404
    assert client.get(f"/facebook-leads/{other}/edit").status_code == 404
    assert patch(client, own, version_id=1, city="Bonn").status_code == 200


def test_the_edit_page_keeps_typed_values_on_a_stale_version(client, auth, users, app):
    lead_id = add_lead(app, city="Izmir")
    auth.login("admin")
    page = client.get(f"/facebook-leads/{lead_id}/edit")
    assert page.status_code == 200 and 'value="Izmir"' in page.get_data(as_text=True)
    assert patch(client, lead_id, version_id=1, city="Ankara").status_code == 200
    form = {"version_id": "1", "city": "Bonn", "first_name": "Typed Name", "service": ""}
    answer = client.post(f"/facebook-leads/{lead_id}/edit", data=form)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 409
    assert 'value="Typed Name"' in text and 'value="Bonn"' in text and "Ankara" in text
    assert stored(app, lead_id).city == "Ankara"
    again = client.post(f"/facebook-leads/{lead_id}/edit", data=form | {"version_id": "2"})
    assert again.status_code == 303 and stored(app, lead_id).city == "Bonn"


def test_the_edit_page_offers_the_same_person(client, auth, users, app):
    first = add_lead(app, email="same@example.com")
    lead_id = add_lead(app)
    auth.login("admin")
    form = {"version_id": "1", "email": "same@example.com", "service": ""}
    answer = client.post(f"/facebook-leads/{lead_id}/edit", data=form)
    assert answer.status_code == 409
    assert f'href="/facebook-leads/{first}"' in answer.get_data(as_text=True)
    saved = client.post(f"/facebook-leads/{lead_id}/edit", data=form | {"confirm_same_person": "1"})
    assert saved.status_code == 303 and stored(app, lead_id).duplicate_of_id == first


@pytest.mark.parametrize("role", ["anonymous"])
def test_anonymous_cannot_edit(client, app, users, role):
    lead_id = add_lead(app)
    assert patch(client, lead_id, version_id=1, city="x").status_code == 401


def test_patch_sets_and_clears_do_not_contact_as_the_page_does(client, auth, users, app):
    lead_id = add_lead(app, assigned_to_id=users["ayse"], phone="+905321112233")
    auth.login("ayse")
    no_reason = patch(client, lead_id, version_id=1, do_not_contact=True)
    assert no_reason.status_code == 400 and stored(app, lead_id).do_not_contact_at is None
    marked = patch(
        client,
        lead_id,
        version_id=1,
        city="Bonn",
        do_not_contact=True,
        do_not_contact_reason="wrong_number",
    )
    assert marked.status_code == 200, marked.json
    assert marked.json["do_not_contact"] and marked.json["city"] == "Bonn"
    assert marked.json["do_not_contact_reason"] == "wrong_number"
    version = marked.json["version_id"]
    lift = patch(client, lead_id, version_id=version, do_not_contact=False)
    assert lift.status_code == 403  # only a superadmin lifts it
    assert stored(app, lead_id).do_not_contact_reason == "wrong_number"
    auth.logout()
    auth.login("admin")
    assert patch(client, lead_id, version_id=1, do_not_contact=False).status_code == 409
    lifted = patch(client, lead_id, version_id=version, do_not_contact=False)
    assert lifted.status_code == 200 and lifted.json["do_not_contact"] is False
    assert lifted.json["timeline"][0]["description"].startswith("Do not contact lifted")
    current = lifted.json["version_id"]
    assert patch(client, lead_id, version_id=current, do_not_contact="maybe").status_code == 400
