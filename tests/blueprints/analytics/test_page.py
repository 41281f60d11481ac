"""The analytics page and its downloads: superadmins only, empty state, Turkish, filters kept
in the URL, formula-safe CSV and XLSX."""

import csv
import io
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.blueprints.analytics import building
from app.extensions import db
from app.models import AnalyticsDaily, AnalyticsDirtyDay, LeadStatus
from app.services import analytics_rollup
from tests import factories

PAGE = "/facebook-leads/analytics"
HOSTILE = '=HYPERLINK("https://evil.example","click")'


@pytest.fixture
def seeded(app, users):
    now = datetime.now(UTC) - timedelta(hours=2)
    with app.app_context():
        for n, status in enumerate((LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.CONVERTED)):
            factories.make_lead(
                meta_created_at=now,
                created_at=now,
                status=status,
                assigned_to_id=users["ayse"],
                first_contacted_at=now + timedelta(minutes=10) if n else None,
                converted_at=now + timedelta(hours=1) if n == 2 else None,
                campaign_id="4242",
                campaign_name=HOSTILE,
                ad_name="@SUM(A1:A9)",
                country_code="DE",
            )
        db.session.commit()


def test_countries_are_named_in_the_reader_s_language(client, auth, seeded):
    auth.login("admin")
    english = client.get(f"{PAGE}?period=7d").get_data(as_text=True)
    turkish = client.get(f"{PAGE}?period=7d&lang=tr", follow_redirects=True)
    assert ">Germany</td>" in english
    assert ">Almanya</td>" in turkish.get_data(as_text=True)


def test_the_page_shows_the_period_s_figures(client, auth, seeded):
    auth.login("admin")
    page = client.get(f"{PAGE}?period=7d")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-stage="contacted"' in html and "Funnel" in html
    assert '<option value="7d" selected>' in html
    assert "analytics-charts" in html and "chart.umd.min.js" in html
    assert 'id="staff-table"' in html and "ayse" in html
    assert "&#34;https://evil.example&#34;" in html or "&quot;https://evil.example" in html
    assert "<script>" not in html.split('id="analytics-charts">')[1].split("</script>")[0]


def test_an_empty_period_says_so(client, auth, users):
    auth.login("admin")
    html = client.get(f"{PAGE}?date_from=2020-01-01&date_to=2020-01-31").get_data(as_text=True)
    assert "No leads in this period" in html
    assert 'value="2020-01-01"' in html


def test_the_page_speaks_turkish(client, auth, seeded):
    auth.login("admin")
    html = client.get(f"{PAGE}?lang=tr", follow_redirects=True).get_data(as_text=True)
    assert "Analitik" in html and "Huni" in html


def test_staff_cannot_open_the_page_or_the_report(client, auth, users):
    auth.login("ayse")
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}/report.csv").status_code == 403


def test_the_csv_report_is_formula_safe(client, auth, seeded):
    auth.login("admin")
    response = client.get(f"{PAGE}/report.csv?period=7d")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True).lstrip("\ufeff")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'" + HOSTILE in cells and "'@SUM(A1:A9)" in cells
    assert not any(cell.startswith(("=", "@", "+")) for cell in cells)
    rows = list(csv.reader(io.StringIO(text)))
    assert ["contacted", "2", "0.6666666666666666", "0"] in rows


def test_one_section_for_a_chart_s_csv_link(client, auth, seeded):
    auth.login("admin")
    response = client.get(f"{PAGE}/report.csv?period=7d&section=trend")
    text = response.get_data(as_text=True)
    assert "Leads per day" in text and "Funnel" not in text
    assert "analytics_trend_" in response.headers["Content-Disposition"]


def test_the_xlsx_report_writes_names_as_text(client, auth, seeded):
    auth.login("admin")
    response = client.get(f"{PAGE}/report.xlsx?period=7d")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    hostile = [c for c in cells if c.value == HOSTILE]
    assert hostile and all(c.data_type == "s" for c in hostile)
    assert "funnel" in book.sheetnames


def test_the_cli_writes_the_report(runner, app, seeded, tmp_path):
    out = tmp_path / "report.csv"
    result = runner.invoke(
        args=["analytics", "report", "--period", "this-month", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    cells = [c for row in csv.reader(io.StringIO(out.read_text("utf-8-sig"))) for c in row]
    assert "'" + HOSTILE in cells and "contacted" in cells
    xlsx = tmp_path / "report.xlsx"
    result = runner.invoke(
        args=[
            "analytics",
            "report",
            "--date-from",
            "2020-01-01",
            "--date-to",
            "2020-01-31",
            "--format",
            "xlsx",
            "--out",
            str(xlsx),
        ]
    )
    assert result.exit_code == 0 and "2020-01-01 – 2020-01-31" in result.output
    assert load_workbook(xlsx).sheetnames[0] == "summary"


def test_days_counted_from_the_leads_are_stored_after_the_view(app, client, auth, seeded):
    with app.app_context():
        analytics_rollup.restart(app.config["APP_TIMEZONE"])  # every day changed, none stored
        db.session.commit()
    auth.login("admin")
    first = client.get(f"{PAGE}?period=7d").get_data(as_text=True)
    deadline = time.monotonic() + 10
    with app.app_context():
        while db.session.scalar(sa.select(sa.func.count()).select_from(AnalyticsDirtyDay)):
            assert time.monotonic() < deadline, "the background store did not run"
            db.session.rollback()
            time.sleep(0.05)
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(AnalyticsDaily))
    assert stored > 0
    again = client.get(f"{PAGE}?period=7d").get_data(as_text=True)
    assert 'id="staff-table"' in again and again.count("ayse") == first.count("ayse")


def test_views_on_a_busy_desk_ask_for_one_store_at_most_every_15_seconds():
    state: dict = {}
    assert building.store_due(state, 1000.0)
    assert not building.store_due(state, 1014.9)  # today changed again: counted, not stored
    assert building.store_due(state, 1015.0)
    assert not building.store_due(state, 1020.0)
