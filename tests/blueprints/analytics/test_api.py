"""`GET /facebook-leads/api/analytics`: superadmins only, the dashboard's filter names, the
DESIGN.md shape, exact numbers for a seeded day in Istanbul."""

from datetime import UTC, datetime, timedelta

from app.extensions import db
from app.models import LeadStatus
from tests import factories

URL = "/facebook-leads/api/analytics"
S = LeadStatus


def seed(app, users) -> None:
    received = datetime(2026, 3, 9, 21, 30, tzinfo=UTC)  # 00:30 on 10 March in Istanbul
    with app.app_context():
        for status, extra in (
            (S.NEW, {}),
            (S.CONTACTED, {"first_contacted_at": received + timedelta(minutes=3)}),
            (S.LOST, {"lost_at": received + timedelta(days=1)}),
            (S.NEW, {"is_test": True}),
        ):
            factories.make_lead(
                meta_created_at=received,
                created_at=received,
                status=status,
                assigned_to_id=users["ayse"],
                campaign_id="777",
                campaign_name="Spring",
                **extra,
            )
        db.session.commit()


def test_analytics_json_has_the_contract_and_exact_numbers(client, auth, users, app):
    seed(app, users)
    auth.login("admin")
    data = client.get(f"{URL}?date_from=2026-03-10&date_to=2026-03-10").get_json()
    assert data["funnel"] == {"new": 3, "contacted": 1, "qualified": 0, "converted": 0}
    assert (data["lost"], data["invalid"]) == (1, 0)
    assert data["period"] == {
        "key": "custom",
        "date_from": "2026-03-10",
        "date_to": "2026-03-10",
        "days": 1,
    }
    assert data["previous"]["period"]["date_to"] == "2026-03-09"
    assert data["response_time"]["median_s"] == 180
    assert data["response_time"]["within_5m"] == 1 / 3
    [staff] = data["by_staff"]
    assert (staff["username"], staff["assigned"], staff["contacted"]) == ("ayse", 3, 1)
    [campaign] = data["by_campaign"]
    assert (campaign["key"], campaign["label"], campaign["leads"]) == ("777", "Spring", 3)
    assert campaign["adsets"][0]["ads"][0]["leads"] == 3
    assert [point["leads"] for point in data["trend"]] == [3]
    assert set(data) >= {"by_form", "by_platform", "by_organic", "by_service", "by_country"}
    assert data["spend"] is None


def test_the_utc_day_is_not_the_istanbul_day(client, auth, users, app):
    seed(app, users)
    auth.login("admin")
    data = client.get(f"{URL}?date_from=2026-03-09&date_to=2026-03-09").get_json()
    assert data["funnel"]["new"] == 0
    assert client.get(f"{URL}?date_from=2026-03-10&test=1").get_json()["funnel"]["new"] == 4


def test_staff_and_anonymous_cannot_read_analytics(client, auth, users, app):
    assert client.get(URL).status_code == 401
    auth.login("ayse")
    response = client.get(URL)
    assert response.status_code == 403 and response.is_json
