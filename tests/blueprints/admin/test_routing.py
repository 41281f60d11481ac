"""`/admin/routing`: rules listed, added, edited, ordered and deleted; working hours; the
re-route offered on deactivation (superadmins only; the route walk covers the roles)."""

from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, LeadStatus, LeadTask, RoutingRule, User
from app.services import lead_tasks
from app.services.routing import rules
from tests import factories
from tests.blueprints.admin.test_accounts import location_path, text_of

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def app_config():
    return {"TEAM_WORK_HOURS": "1234567"}  # everyone on shift whenever the test runs


@pytest.fixture
def admin(auth, users):
    auth.login("admin")
    return users


def make_rule(app, name, staff_ids, **values):
    with app.app_context():
        rule = rules.create_rule(rules.RuleInput(name=name, staff_ids=staff_ids, **values))
        db.session.commit()
        return rule.id


def rule_names(app) -> list[str]:
    with app.app_context():
        return [r.name for r in rules.list_rules()]


def test_the_page_lists_rules_staff_and_their_state(app, client, admin):
    make_rule(app, "Hair DE", [admin["ayse"]], treatment="hair_transplant", country_code="DE")
    page = client.get("/admin/routing")
    text = text_of(page)
    assert page.status_code == 200
    assert "Hair DE" in text and "Hair transplant · country DE" in text
    assert "ayse" in text and "table-stack" in page.get_data(as_text=True)


def test_a_rule_is_added_from_the_form(app, client, admin):
    response = client.post(
        "/admin/routing/new",
        data={"name": "German", "strategy": "least_loaded", "staff": [admin["ayse"],
              admin["mehmet"]], "country_code": "de", "capacity": "4", "is_active": "y"},
    )  # fmt: skip
    assert location_path(response) == "/admin/routing"
    with app.app_context():
        rule = db.session.scalar(sa.select(RoutingRule))
        assert (rule.name, rule.strategy.value, rule.country_code, rule.capacity) == (
            "German", "least_loaded", "DE", 4,
        )  # fmt: skip
        assert [m.user_id for m in rule.staff] == [admin["ayse"], admin["mehmet"]]


def test_an_impossible_rule_comes_back_with_the_reason(app, client, admin):
    response = client.post(
        "/admin/routing/new",
        data={"name": HOSTILE, "strategy": "round_robin", "score_min": "90", "score_max": "10",
              "staff": [admin["ayse"]]},
    )  # fmt: skip
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "no lead could match" in body
    assert HOSTILE not in body  # the typed name is escaped
    no_staff = client.post("/admin/routing/new", data={"name": "X", "strategy": "round_robin"})
    assert "Choose at least one person" in no_staff.get_data(as_text=True)
    assert rule_names(app) == []


def test_a_rule_is_edited_moved_and_deleted(app, client, admin):
    first = make_rule(app, "First", [admin["ayse"]])
    second = make_rule(app, "Second", [admin["ayse"]])
    edit = client.get(f"/admin/routing/{first}/edit")
    assert 'value="First"' in edit.get_data(as_text=True)
    client.post(
        f"/admin/routing/{first}/edit",
        data={"name": "Renamed", "strategy": "round_robin", "staff": [admin["mehmet"]]},
    )
    client.post(f"/admin/routing/{second}/move", data={"direction": "up"})
    assert rule_names(app) == ["Second", "Renamed"]
    client.post(f"/admin/routing/{second}/move", data={"direction": "sideways"})
    assert rule_names(app) == ["Second", "Renamed"]
    client.post(f"/admin/routing/{second}/delete")  # without the confirmation: kept
    assert rule_names(app) == ["Second", "Renamed"]
    response = client.post(f"/admin/routing/{second}/delete", data={"confirm": "delete"})
    assert location_path(response) == "/admin/routing"
    assert rule_names(app) == ["Renamed"]


def test_working_hours_away_and_capacity_are_saved_in_local_time(app, client, admin):
    page = client.get(f"/admin/users/{admin['ayse']}/hours")
    assert page.status_code == 200 and "Monday" in text_of(page)
    response = client.post(
        f"/admin/users/{admin['ayse']}/hours",
        data={"work_days": ["1", "2", "3"], "work_start": "22:00", "work_end": "06:00",
              "away_until": "2026-12-24T18:00", "capacity": "7"},
    )  # fmt: skip
    assert location_path(response) == "/admin/users"
    with app.app_context():
        user = db.session.get(User, admin["ayse"])
        assert (user.work_days, user.work_start, user.work_end, user.capacity) == (
            "123", time(22), time(6), 7,
        )  # fmt: skip
        assert user.away_until == datetime(2026, 12, 24, 15, 0, tzinfo=UTC)  # Istanbul = UTC+3
    bad = client.post(f"/admin/users/{admin['ayse']}/hours", data={"work_start": "09:00"})
    assert "Choose the days" in bad.get_data(as_text=True)


def test_deactivating_someone_with_open_leads_offers_to_reroute_them(app, client, admin):
    make_rule(app, "All", [admin["ayse"], admin["mehmet"]])
    with app.app_context():
        leads = [
            factories.make_lead(assigned_to_id=admin["ayse"], status=LeadStatus.CONTACTED)
            for _ in range(3)
        ]
        due = datetime.now(UTC) + timedelta(hours=1)
        lead_tasks.schedule(leads[0], due_at=due, actor=None)  # a follow-up moves with its lead
        db.session.commit()
    response = client.post(f"/admin/users/{admin['ayse']}/deactivate")
    assert location_path(response) == f"/admin/users/{admin['ayse']}/reroute"
    offer = client.get(location_path(response))
    assert "ayse holds 3 open leads." in text_of(offer)
    done = client.post(f"/admin/users/{admin['ayse']}/reroute")
    assert location_path(done) == "/admin/users"
    with app.app_context():
        owners = db.session.execute(
            sa.select(FacebookLead.assigned_to_id, FacebookLead.status)
        ).all()
        assert set(owners) == {(admin["mehmet"], LeadStatus.CONTACTED)}
        assert db.session.scalars(sa.select(LeadTask.user_id)).all() == [admin["mehmet"]]


def test_staff_cannot_reach_the_routing_pages(client, auth, users):
    auth.login("ayse")
    assert client.get("/admin/routing").status_code == 403
    assert client.post("/admin/routing/new", data={"name": "x"}).status_code == 403
