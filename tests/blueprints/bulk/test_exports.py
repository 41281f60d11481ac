"""Exports: exactly what the user may see, in the columns asked for, formula-safe in CSV and
XLSX (read back with the csv module and openpyxl), streamed, audited, in the user's language."""

import csv
import io
import json
import re
from datetime import UTC, datetime

import openpyxl
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import ExportAudit, FacebookLead
from tests import factories

HOSTILE = [
    '=HYPERLINK("https://evil.example","click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\tTabbed",
    "\rReturn",
]


def add_lead(app, **values) -> int:
    with app.app_context():
        lead_id = factories.make_lead(**values).id
        db.session.commit()
    return lead_id


def read_csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.fixture
def admin(auth, users):
    auth.login("admin")
    return users["admin"]


def test_csv_export_has_the_default_columns_in_order_and_a_dated_file_name(app, client, admin):
    add_lead(app, first_name="Ayşe", last_name="Demir", service="hair_transplant", platform="ig")
    response = client.get("/facebook-leads/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="leads_\d{4}-\d\d-\d\d_\d{6}\.csv"', disposition)
    rows = read_csv(response)
    assert rows[0] == [
        "Name", "Phone", "Email", "Country", "Treatment", "Status", "Score", "Assignee",
        "Received", "Campaign", "Form", "Platform", "Came from",
    ]  # fmt: skip
    assert rows[1][0] == "Ayşe Demir" and rows[1][12] == "Meta"
    assert rows[1][4] == "Hair transplant"
    assert rows[1][5] == "New"
    assert rows[1][11] == "Instagram"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", rows[1][8])


def test_hostile_cells_are_neutralised_in_csv_but_phone_numbers_are_kept(app, client, admin):
    for text in HOSTILE:
        add_lead(app, first_name=text, last_name=None, phone="+905321112233")
    rows = read_csv(client.get("/facebook-leads/export.csv?columns=name,phone"))
    names = sorted(row[0] for row in rows[1:])
    assert names == sorted("'" + text for text in HOSTILE)
    assert all(row[0][0] not in "=+-@\t\r" for row in rows[1:])
    assert {row[1] for row in rows[1:]} == {"+905321112233"}


def test_a_raw_phone_that_is_not_e164_is_neutralised(app, client, admin):
    add_lead(app, phone=None, phone_raw="+1 (555) =2")
    rows = read_csv(client.get("/facebook-leads/export.csv?columns=phone"))
    assert rows[1] == ["'+1 (555) =2"]


def test_xlsx_cells_are_strings_never_formulas(app, client, admin):
    for text in HOSTILE + ["#N/A", "Ctrl\x07char"]:
        add_lead(app, first_name=text, last_name=None)
    response = client.get("/facebook-leads/export.xlsx?columns=name,score")
    assert response.status_code == 200
    assert re.search(r"filename=\"?leads_[\d_-]+\.xlsx", response.headers["Content-Disposition"])
    data = response.data
    response.close()
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert {cell.data_type for cell in cells} == {"s"}
    expected = [text.replace("\r", "\n") for text in HOSTILE]  # XML keeps no bare CR
    assert sorted(cell.value for cell in cells) == sorted(expected + ["#N/A", "Ctrlchar"])
    assert [c.value for c in next(sheet.iter_rows(max_row=1))] == ["Name", "Score"]


def test_json_export_carries_codes_and_iso_times(app, client, admin):
    add_lead(app, first_name="Ali", last_name="Kaya", service="dental_implants")
    response = client.get("/facebook-leads/export.json?columns=id,name,status,treatment,received")
    items = json.loads(response.data)
    assert len(items) == 1
    assert items[0]["name"] == "Ali Kaya"
    assert items[0]["status"] == "new"
    assert items[0]["treatment"] == "dental_implants"
    assert datetime.fromisoformat(items[0]["received"]).utcoffset() is not None


def test_staff_export_only_their_own_leads(app, client, auth, users):
    own = add_lead(app, first_name="Own", assigned_to_id=users["ayse"])
    add_lead(app, first_name="Other", assigned_to_id=users["mehmet"])
    add_lead(app, first_name="Nobody")
    auth.login("ayse")
    items = json.loads(client.get("/facebook-leads/export.json?columns=id,name").data)
    assert [item["id"] for item in items] == [own]


def test_ids_select_only_visible_leads(app, client, auth, users):
    own = add_lead(app, assigned_to_id=users["ayse"])
    other = add_lead(app, assigned_to_id=users["mehmet"])
    auth.login("ayse")
    response = client.get(f"/facebook-leads/export.json?columns=id&ids={own},{other}")
    assert json.loads(response.data) == [{"id": own}]


def test_the_filter_selects_what_the_dashboard_shows(app, client, admin):
    add_lead(app, first_name="Hair", service="hair_transplant")
    add_lead(app, first_name="Teeth", service="dental_implants")
    add_lead(app, first_name="Hidden", service="hair_transplant", is_test=True)
    items = json.loads(
        client.get("/facebook-leads/export.json?columns=name&service=hair_transplant").data
    )
    assert [item["name"].split()[0] for item in items] == ["Hair"]


def test_many_pages_are_streamed_newest_id_first(app, client, admin, monkeypatch):
    monkeypatch.setattr("app.services.exports.PAGE", 3)
    ids = [add_lead(app) for _ in range(8)]
    items = json.loads(client.get("/facebook-leads/export.json?columns=id").data)
    assert [item["id"] for item in items] == sorted(ids, reverse=True)


def test_every_export_is_audited_with_its_rows_and_a_hashed_search(app, client, admin):
    add_lead(app, first_name="Zeynep")
    add_lead(app, first_name="Zeynep")
    client.get("/facebook-leads/export.csv?q=Zeynep&columns=name,email").get_data()
    with app.app_context():
        audit = db.session.scalars(sa.select(ExportAudit)).one()
        assert (audit.user_id, audit.format, audit.rows, audit.state) == (admin, "csv", 2, "done")
        assert audit.columns == ["name", "email"]
        assert audit.selection["filter"]["q"].startswith("hmac:")
        assert "Zeynep" not in json.dumps(audit.selection)
    page = client.get("/facebook-leads/exports").get_data(as_text=True)
    assert "admin" in page and "csv" in page


def test_unknown_column_is_refused_with_a_message(app, client, admin):
    response = client.get("/facebook-leads/export.csv?columns=name,password")
    assert response.status_code == 302  # a page: the message is flashed
    with client.session_transaction() as sess:
        assert "Unknown column password" in sess["_flashes"][0][1]


def test_bom_option_for_excel(app, client, admin):
    add_lead(app)
    assert client.get("/facebook-leads/export.csv?bom=1").data.startswith(b"\xef\xbb\xbf")
    assert not client.get("/facebook-leads/export.csv").data.startswith(b"\xef\xbb\xbf")


def test_headers_and_labels_follow_the_users_language(app, client, admin):
    add_lead(app, service="hair_transplant")
    client.get("/facebook-leads/?lang=tr")
    rows = read_csv(client.get("/facebook-leads/export.csv?columns=name,treatment,status"))
    assert rows[0] == ["Ad", "Tedavi", "Durum"]
    assert rows[1][1:] == ["Saç ekimi", "Yeni"]


def test_nobody_else_downloads_a_built_export(app, client, auth, admin):
    with app.app_context():
        audit = ExportAudit(
            user_id=admin, format="xlsx", selection={}, columns=[], rows=0, state="ready"
        )
        db.session.add(audit)
        db.session.commit()
        audit_id = audit.id
    auth.logout()
    auth.login("ayse")
    assert client.get(f"/facebook-leads/exports/{audit_id}/download").status_code == 404


def test_deleted_leads_are_not_exported(app, client, admin):
    add_lead(app, deleted_at=datetime.now(UTC))
    keep = add_lead(app)
    items = json.loads(client.get("/facebook-leads/export.json?columns=id").data)
    assert [item["id"] for item in items] == [keep]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(FacebookLead.id))) == 2
