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
        audit_id = db.session.scalars(sa.select(ExportAudit.id)).one()
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
