"""CSV lines: PostgreSQL's COPY and the keyset pages write the same bytes for the same leads
(quotes, commas, newlines, formulas, %, backslashes, apostrophes, and filters holding them), and
a download stopped early is recorded as cut and leaves the app working."""

import csv
import io

import pytest
import sqlalchemy as sa

from app.database import MMAP_SIZE
from app.extensions import db
from app.models import ExportAudit, Role, User
from app.services import export_csv, exports
from app.services.lead_selection import from_request
from tests import factories

NASTY = [
    '=HYPERLINK("https://evil.example","x")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    "\tTabbed",
    "\rReturn",
    'Quote "inside"',
    "Comma, inside",
    "Line\nbreak",
    "Back\\slash",
    "100% sure",
    "O'Brien",
    "Ünïcødé العربية",
    "",
    None,
]
SERVICES = ["100% sure", "x'; DROP TABLE facebook_leads; --", "Back\\slash %%"]
SELECTIONS = [
    {},
    {"q": "O'Brien"},
    {"q": "100%"},
    {"q": "back\\slash"},
    *({"service": service} for service in SERVICES),
    {"date_from": "2020-01-01", "date_to": "2099-12-31"},
    {"status": ["new", "assigned"], "sort": "score"},
]


def seed() -> tuple[int, int]:
    admin = factories.make_user("exporter", role=Role.SUPERADMIN)
    staff = factories.make_user("coordinator")
    distributor = factories.make_distributor('Clinic "A", 50%')
    for i, text in enumerate(NASTY):
        factories.make_lead(
            first_name=text,
            last_name=NASTY[-1 - i],
            email=text,
            phone=None if i % 2 else "+905321112233",
            phone_raw=text,
            city=text,
            campaign_name=text,
            ad_name=text,
            service="hair_transplant" if i % 3 else text,
            platform=("fb", "ig", text)[i % 3],
            consent=(None, True, False)[i % 3],
            assigned_to_id=staff.id if i % 2 else None,
            distributor_id=distributor.id if i % 3 else None,
            score=i * 7,
        )
    for service in SERVICES:  # filter values that must reach the database as they are
        factories.make_lead(first_name=service, service=service)
    db.session.commit()
    return admin.id, len(NASTY) + len(SERVICES)


def both_ways(user, args: dict) -> tuple[bytes, bytes, int, int]:
    """(COPY's bytes, the keyset pages' bytes, rows counted by each) for one selection."""
    columns, ctx = list(exports.COLUMNS), exports.context("Europe/Istanbul")
    selection = from_request(args)
    connection = db.session.connection()
    statement = export_csv.copy_statement(connection.dialect, user, selection, columns, ctx=ctx)
    assert statement is not None
    copied, paged = [0], [0]
    copy = b"".join(export_csv.copied_lines(connection, statement, copied))
    pages = b"".join(
        export_csv.keyset_pages(connection, user, selection, columns, ctx=ctx, counted=paged)
    )
    return copy, pages, copied[0], paged[0]


def test_copy_writes_the_same_csv_as_the_keyset_pages(app):
    with app.app_context(), app.test_request_context():
        if db.session.get_bind().dialect.name != "postgresql":
            pytest.skip("COPY is PostgreSQL's")
        admin_id, seeded = seed()
        user = db.session.get(User, admin_id)
        for args in SELECTIONS:
            copy, pages, copied, paged = both_ways(user, args)
            assert copy == pages, args
            assert copied > 0, args
            assert copied == paged == len(list(csv.reader(io.StringIO(copy.decode())))), args
        copy, _pages, copied, _paged = both_ways(user, {})
        assert copied == seeded
        rows = list(csv.reader(io.StringIO(copy.decode())))
        assert all(cell[:1] not in ("=", "+", "-", "@", "\t", "\r") or cell.startswith("+90")
                   for row in rows for cell in row)  # fmt: skip
        assert any("Line\nbreak" in row for row in rows)  # a newline stays inside its cell
        assert any('Quote "inside"' in row for row in rows)


def test_the_database_writes_what_the_csv_module_would(app):
    """The lines built in SQL (SQLite's printf(), PostgreSQL's COPY) are, byte for byte, the
    csv module's (every cell quoted) over the values the JSON/XLSX exports read in Python."""
    with app.app_context(), app.test_request_context():
        admin_id, seeded = seed()
        user = db.session.get(User, admin_id)
        columns, ctx = list(exports.COLUMNS), exports.context("Europe/Istanbul")
        for args in SELECTIONS:
            selection = from_request(args)
            counted = [0]
            written = b"".join(export_csv.csv_pages(user, selection, columns, ctx, counted))
            buffer = io.StringIO()
            writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
            rows = list(exports.iter_rows(user, selection, columns, "Europe/Istanbul"))
            writer.writerows([exports.neutralise(value) for value in row] for row in rows)
            assert written.decode() == buffer.getvalue(), args
            assert counted[0] == len(rows) > 0, args
        assert len(list(exports.iter_rows(user, from_request({}), ["id"], "UTC"))) == seeded


def test_a_search_with_an_apostrophe_and_a_percent_sign_exports_its_leads(app, client, auth, users):
    with app.app_context():
        factories.make_lead(first_name="Sean", last_name="O'Brien")
        factories.make_lead(first_name="Ayla", last_name="Percent%")
        factories.make_lead(first_name="Other", last_name="Person")
        db.session.commit()
    auth.login("admin")
    for query, name in (("O'Brien", "Sean O'Brien"), ("percent%", "Ayla Percent%")):
        response = client.get(f"/facebook-leads/export.csv?columns=name&q={query}")
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        assert rows[1:] == [[name]], query


def test_a_download_stopped_early_is_cut_and_the_next_request_works(
    app, client, auth, users, monkeypatch
):
    monkeypatch.setattr(export_csv, "PAGE", 2)
    with app.app_context():
        for n in range(9):
            factories.make_lead(first_name=f"Lead{n}")
        db.session.commit()
    auth.login("admin")
    response = client.get("/facebook-leads/export.csv?columns=name", buffered=False)
    chunks = iter(response.response)
    assert next(chunks).startswith(b"Name")  # the header
    assert next(chunks).count(b"\r\n") == 2  # a page of two leads, then the client goes
    response.close()
    with app.app_context():
        audit = db.session.scalars(sa.select(ExportAudit)).one()
        assert (audit.state, audit.rows) == ("cut", 2)
    again = client.get("/facebook-leads/export.csv?columns=name").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(again)))
    assert len(rows) == 10
    assert client.get("/facebook-leads/").status_code == 200


def test_sqlite_exports_read_without_the_memory_map_and_put_it_back(app, monkeypatch):
    """Read through the map, a million-lead export kept ~880 MiB of mapped pages resident."""
    monkeypatch.setattr(export_csv, "PAGE", 2)
    with app.app_context(), app.test_request_context():
        if db.session.get_bind().dialect.name != "sqlite":
            pytest.skip("SQLite's memory map")
        admin_id, _seeded = seed()
        user = db.session.get(User, admin_id)
        connection = db.session.connection()
        ctx = exports.context("UTC")

        def mapped() -> int:
            return connection.exec_driver_sql("PRAGMA mmap_size").scalar()

        usual = mapped()  # MMAP_SIZE, as far as SQLite's own cap allows
        assert 0 < usual <= MMAP_SIZE
        pages = export_csv.keyset_pages(
            connection, user, from_request({}), ["name"], ctx=ctx, counted=[0]
        )
        next(pages)
        assert mapped() == 0
        pages.close()  # the client went away mid-export
        assert mapped() == usual
        assert len(b"".join(export_csv.csv_pages(user, from_request({}), ["id"], ctx, [0])))
        assert mapped() == usual


def test_a_nul_written_straight_into_sqlite_starts_no_formula_and_breaks_no_line(
    app, client, auth, users
):
    """The app never stores a NUL (text is cleaned on the way in; PostgreSQL cannot hold one),
    but SQLite would keep one written around it: printf() ends the cell there, and the line,
    the row count and the other cells hold."""
    with app.app_context():
        if db.session.get_bind().dialect.name != "sqlite":
            pytest.skip("only SQLite stores a NUL in text")
        factories.make_lead(first_name="\x00=cmd", last_name=None, email="a@example.com")
        factories.make_lead(first_name="Ab\x00=cd", last_name=None, email="b@example.com")
        factories.make_lead(first_name="Plain", last_name=None, email="c@example.com")
        db.session.commit()
    auth.login("admin")
    text = client.get("/facebook-leads/export.csv?columns=name,email").get_data(as_text=True)
    rows = sorted(list(csv.reader(io.StringIO(text)))[1:], key=lambda row: row[1])
    assert rows == [["", "a@example.com"], ["Ab", "b@example.com"], ["Plain", "c@example.com"]]


def test_empty_cells_are_quoted_and_read_back_empty(app, client, auth, users):
    with app.app_context():
        factories.make_lead(first_name="Only", last_name=None, email=None, campaign_name=None)
        db.session.commit()
    auth.login("admin")
    text = client.get("/facebook-leads/export.csv?columns=name,email,campaign,consent")
    line = text.get_data(as_text=True).splitlines()[1]
    assert line == '"Only","","",""'
    assert next(csv.reader([line])) == ["Only", "", "", ""]
