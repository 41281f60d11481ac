"""A large XLSX export is built in the background and then downloaded by its owner."""

import io
import time

import openpyxl
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ExportAudit
from tests import factories


@pytest.fixture
def admin(auth, users):
    auth.login("admin")
    return users["admin"]


def add_lead(app, **values) -> int:
    with app.app_context():
        lead_id = factories.make_lead(**values).id
        db.session.commit()
    return lead_id


@pytest.fixture
def app_config():
    return {"XLSX_SYNC_LIMIT": 2}


def test_a_large_xlsx_is_built_in_the_background_then_downloaded(app, client, admin):
    for name in ("A", "B", "=C"):
        add_lead(app, first_name=name, last_name=None)
    response = client.get("/facebook-leads/export.xlsx?columns=name")
    assert response.status_code == 202
    with app.app_context():
        audit_id, state = db.session.execute(sa.select(ExportAudit.id, ExportAudit.state)).one()
    assert state in ("building", "ready")  # the exports page says "Being built", not "Downloading"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        download = client.get(f"/facebook-leads/exports/{audit_id}/download")
        if download.status_code == 200:
            break
        time.sleep(0.1)
    assert download.status_code == 200
    data = download.data
    download.close()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sorted(row[0].value for row in sheet.iter_rows(min_row=2)) == ["=C", "A", "B"]
    with app.app_context():
        assert db.session.get(ExportAudit, audit_id).rows == 3


def test_a_background_export_that_fails_says_so_and_keeps_its_audit_row(
    app, client, admin, tmp_path
):
    """EXPORT_DIR cannot be made (a file stands in its way): the owner is told, the audit row
    says failed, and the download page explains instead of waiting for ever."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    app.config["EXPORT_DIR"] = str(blocker / "exports")
    for name in ("A", "B", "C"):
        add_lead(app, first_name=name)
    events = socketio_events(app, client)
    assert client.get("/facebook-leads/export.xlsx?columns=name").status_code == 202
    with app.app_context():
        audit_id = db.session.scalars(sa.select(ExportAudit.id)).one()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with app.app_context():
            state = db.session.get(ExportAudit, audit_id).state
        if state != "building":
            break
        time.sleep(0.1)
    assert state == "failed"
    page = client.get(f"/facebook-leads/exports/{audit_id}/download")
    assert page.status_code == 500
    assert "could not be built" in page.get_data(as_text=True)
    assert "Failed" in client.get("/facebook-leads/exports").get_data(as_text=True)
    received = [e for e in events.get_received() if e["name"] == "export_ready"]
    assert received and received[-1]["args"][0] == {"id": audit_id, "state": "failed"}


def socketio_events(app, client):
    from app.extensions import socketio

    return socketio.test_client(app, flask_test_client=client)
