"""Privacy pages: erasing from the lead page (superadmin, typed confirmation), the audit with
the access log, a person's data as a download; staff reach none of it."""

import json
import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AccessAction, AccessLog, FacebookLead, PrivacyErasure
from app.services.privacy import access_log
from tests import factories

EMAIL = "selin.demir@example.org"


@pytest.fixture
def leads(app, users):
    with app.app_context():
        first = factories.make_lead(first_name="Selin", email=EMAIL, assigned_to_id=users["ayse"])
        again = factories.make_lead(
            first_name="Selin", email=EMAIL, phone="+905550001122", duplicate_of_id=first.id
        )
        other = factories.make_lead(first_name="Deniz", assigned_to_id=users["ayse"])
        db.session.commit()
        return {"first": first.id, "again": again.id, "other": other.id}


def lead_ids(app) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(sa.select(FacebookLead.id)))


def test_a_superadmin_erases_a_person_from_the_lead_page(app, client, auth, leads):
    auth.login("admin")
    page = client.get(f"/facebook-leads/{leads['first']}")
    assert f"/admin/privacy/erase/{leads['first']}".encode() in page.data
    confirm = client.get(f"/admin/privacy/erase/{leads['first']}")
    assert confirm.status_code == 200
    assert b"re-inquiry of #" in confirm.data and b"Deniz" not in confirm.data
    url = f"/admin/privacy/erase/{leads['first']}"
    wrong = client.post(url, data={"reason": "Asked by email", "confirm": str(leads["other"])})
    assert wrong.status_code == 200 and b"to confirm" in wrong.data
    assert lead_ids(app) == set(leads.values())
    done = client.post(url, data={"reason": "Asked by email", "confirm": str(leads["first"])})
    assert done.status_code == 303 and done.headers["Location"].endswith("/admin/privacy")
    assert lead_ids(app) == {leads["other"]}
    with app.app_context():
        erasure = db.session.scalar(sa.select(PrivacyErasure))
        assert (erasure.actor, erasure.channel, erasure.leads) == ("admin", "web", 2)
    audit = client.get("/admin/privacy")
    assert b"Asked by email" in audit.data and EMAIL.encode() not in audit.data
    assert b"Erased a person" in audit.data


def test_staff_reach_no_privacy_action(client, auth, leads):
    auth.login("ayse")
    first = leads["first"]
    assert b"/admin/privacy/erase/" not in client.get(f"/facebook-leads/{first}").data
    assert client.get(f"/admin/privacy/erase/{first}").status_code == 403
    data = {"reason": "x", "confirm": str(first)}
    assert client.post(f"/admin/privacy/erase/{first}", data=data).status_code == 403
    assert client.get("/admin/privacy").status_code == 403
    assert client.post("/admin/privacy/export", data={"key": EMAIL}).status_code == 403


def wait_for_rows(app, count: int) -> list[AccessLog]:
    deadline = time.monotonic() + 10
    while True:
        with app.app_context():
            rows = list(db.session.scalars(sa.select(AccessLog).order_by(AccessLog.id)))
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def test_lead_pages_and_api_records_are_logged_by_the_runner(app, client, auth, leads, users):
    auth.login("ayse")
    assert client.get(f"/facebook-leads/{leads['first']}").status_code == 200
    assert client.get(f"/facebook-leads/api/leads/{leads['other']}").status_code == 200
    assert client.get(f"/facebook-leads/{leads['again']}").status_code == 404  # not hers
    rows = wait_for_rows(app, 2)
    seen = [(r.user_id, r.action, r.lead_id) for r in rows]
    assert seen == [
        (users["ayse"], AccessAction.VIEW, leads["first"]),
        (users["ayse"], AccessAction.API, leads["other"]),
    ]
    auth.logout()
    auth.login("admin")
    page = client.get(f"/admin/privacy?user={users['ayse']}&action=api")
    assert f"#{leads['other']}".encode() in page.data
    assert f"#{leads['first']}".encode() not in page.data


def test_access_rows_wait_in_a_buffer_and_go_in_one_insert(app, users):
    with app.test_request_context():
        for lead_id in (1, 2, 3):
            access_log.record(users["admin"], AccessAction.VIEW, lead_id=lead_id)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessLog)) == 0
        assert access_log.write_buffered() == 3
        db.session.commit()
        assert access_log.write_buffered() == 0


def test_a_person_s_data_downloads_as_json_and_is_logged(app, client, auth, leads):
    auth.login("admin")
    response = client.post("/admin/privacy/export", data={"key": EMAIL.upper()})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.data)
    assert sorted(lead["id"] for lead in data["leads"]) == [leads["first"], leads["again"]]
    assert all("timeline" in lead for lead in data["leads"])
    with app.app_context():
        row = db.session.scalar(sa.select(AccessLog))
        assert row.action == AccessAction.SUBJECT_EXPORT and EMAIL not in json.dumps(row.detail)
    bad = client.post("/admin/privacy/export", data={"key": "not a phone"})
    assert bad.status_code == 303


def test_an_export_is_logged_with_its_search_text_hashed(app, users):
    with app.test_request_context():
        detail = access_log.export_detail({"q": EMAIL, "status": "new", "form": None}, 12)
        assert detail["status"] == "new" and detail["rows"] == 12 and "form" not in detail
        assert EMAIL not in json.dumps(detail) and len(detail["q"]) == 64
        assert access_log.export_detail({"q": EMAIL}, 1)["q"] == detail["q"]
        access_log.record(users["admin"], AccessAction.EXPORT, detail=detail)
        access_log.write_buffered()
        db.session.commit()
        row = db.session.scalar(sa.select(AccessLog))
        assert row.action == AccessAction.EXPORT and row.detail["rows"] == 12


def test_an_export_writes_an_access_row(app, client, auth, leads, users):
    auth.login("ayse")
    response = client.get("/facebook-leads/export.csv?columns=name,phone")
    assert response.status_code == 200 and response.data  # streamed to the end
    rows = wait_for_rows(app, 1)
    assert [(r.user_id, r.action) for r in rows] == [(users["ayse"], AccessAction.EXPORT)]
    assert rows[0].detail == {"format": "csv", "columns": 2}
    auth.logout()
    auth.login("admin")
    assert b"/facebook-leads/exports" in client.get("/admin/privacy").data
