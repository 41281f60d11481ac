"""The JSON API: stats, lists, detail and recent leads under the same role rules and filters
as the pages; JSON errors; the rate limit."""

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.extensions import db
from app.models import FacebookLead, LeadStatus, User
from app.services import lead_workflow
from tests import factories

API = "/facebook-leads/api"
ROW = re.compile(rb'<tr data-lead-id="(\d+)"')
S = LeadStatus


def add_leads(app, *specs: dict) -> list[int]:
    with app.app_context():
        ids = [factories.make_lead(**spec).id for spec in specs]
        db.session.commit()
    return ids


def ids(response) -> list[int]:
    assert response.status_code == 200, response.data[:300]
    return [item["id"] for item in response.get_json()["items"]]


@pytest.fixture
def admin(auth, users):
    auth.login("admin")
    return users["admin"]


@pytest.fixture
def ayse(auth, users):
    auth.login("ayse")
    return users["ayse"]


@pytest.fixture
def mixed(app, users):
    """A spread of leads, newest first: statuses, assignees, an old one, and the three kinds
    nobody sees by default (a Meta test lead, a re-inquiry, a deleted one)."""
    now = datetime.now(UTC)
    ayse, mehmet = users["ayse"], users["mehmet"]

    def ago(seconds: float) -> datetime:
        return now - timedelta(seconds=seconds)

    (original,) = add_leads(app, {"first_name": "Original", "meta_created_at": ago(1)})
    specs = {
        "new_1": {"first_name": "Nur", "meta_created_at": ago(2)},
        "assigned_ayse": {
            "assigned_to_id": ayse,
            "status": S.ASSIGNED,
            "first_name": "Selin",
            "meta_created_at": ago(3),
        },
        "contacted_mehmet": {
            "assigned_to_id": mehmet,
            "status": S.CONTACTED,
            "first_name": "Kemal",
            "meta_created_at": ago(4),
        },
        "lost": {"status": S.LOST, "first_name": "Deniz", "meta_created_at": ago(5)},
        "old_qualified": {
            "status": S.QUALIFIED,
            "first_name": "Eski",
            "meta_created_at": now - timedelta(days=3),
        },
        "test": {"is_test": True, "first_name": "Tester", "meta_created_at": ago(0.5)},
        "duplicate": {"duplicate_of_id": original, "first_name": "Again", "meta_created_at": now},
        "deleted": {"deleted_at": now, "first_name": "Gone", "meta_created_at": now},
    }
    return {"original": original} | dict(zip(specs, add_leads(app, *specs.values()), strict=True))


SHOWN = ["original", "new_1", "assigned_ayse", "contacted_mehmet", "lost", "old_qualified"]


# --- stats ----------------------------------------------------------------------------------


def test_stats_count_each_status_without_duplicates_or_test_leads(client, admin, mixed):
    response = client.get(f"{API}/stats")
    assert response.status_code == 200
    assert response.get_json() == {
        "by_status": {
            "new": 2,
            "assigned": 1,
            "contacted": 1,
            "qualified": 1,
            "converted": 0,
            "lost": 1,
            "invalid": 0,
        },
        "total": 6,
        "unassigned_new": 2,
        "today": 5,
        "filtered": False,  # no filter: the counters answer, nothing capped
        "capped": [],
    }


def test_stats_follow_changes_made_through_the_workflow(app, client, admin, mixed, users):
    with app.app_context():
        lead = db.session.get(FacebookLead, mixed["new_1"])
        actor, mehmet = db.session.get(User, admin), db.session.get(User, users["mehmet"])
        lead_workflow.assign(lead, mehmet, actor=actor)
        lead_workflow.change_status(db.session.get(FacebookLead, mixed["lost"]), "new", actor=actor)
        db.session.commit()
    stats = client.get(f"{API}/stats").get_json()
    assert stats["by_status"] | {"converted": 0} == {
        "new": 2,
        "assigned": 2,
        "contacted": 1,
        "qualified": 1,
        "converted": 0,
        "lost": 0,
        "invalid": 0,
    }
    assert stats["unassigned_new"] == 2 and stats["total"] == 6


def test_staff_stats_count_only_their_own_leads(client, ayse, mixed):
    stats = client.get(f"{API}/stats").get_json()
    assert stats["by_status"] == {s.value: int(s == S.ASSIGNED) for s in S}
    assert (stats["total"], stats["unassigned_new"], stats["today"]) == (1, 0, 1)


def test_today_counts_from_local_midnight_in_the_app_timezone(app, client, admin):
    tz = ZoneInfo(app.config["APP_TIMEZONE"])
    midnight = datetime.combine(datetime.now(tz).date(), time.min, tz)
    add_leads(
        app,
        {"meta_created_at": datetime.now(UTC)},
        {"meta_created_at": (midnight - timedelta(hours=2)).astimezone(UTC)},
    )
    assert client.get(f"{API}/stats").get_json()["today"] == 1


# --- lists ----------------------------------------------------------------------------------


def test_leads_lists_the_visible_leads_newest_first_with_total_and_page(client, admin, mixed):
    body = client.get(f"{API}/leads").get_json()
    assert [item["id"] for item in body["items"]] == [mixed[name] for name in SHOWN]
    assert (body["total"], body["page"]) == (6, 1)
    assert {"id", "name", "status", "score", "assigned_to", "version_id"} <= set(body["items"][0])


def test_leads_take_the_dashboard_filters(client, admin, mixed, users):
    def listed(**args):
        return sorted(ids(client.get(f"{API}/leads", query_string=args)))

    assert listed(status="contacted") == [mixed["contacted_mehmet"]]
    assert listed(assignee=users["ayse"]) == [mixed["assigned_ayse"]]
    assert listed(assignee="none", status="new") == sorted([mixed["original"], mixed["new_1"]])
    assert listed(q="kemal") == [mixed["contacted_mehmet"]]
    assert listed(q="zzzz") == []
    assert mixed["duplicate"] in listed(duplicates="1")
    assert mixed["test"] in listed(test="1")
    assert mixed["deleted"] not in listed(duplicates="1", test="1")
    response = client.get(f"{API}/leads", query_string={"status": "new", "duplicates": "1"})
    assert response.get_json()["total"] == 3


def test_leads_pages_like_the_dashboard(app, client, admin):
    base = datetime(2026, 1, 1, tzinfo=UTC)
    made = add_leads(
        app,
        *(
            {"meta_created_at": base + timedelta(minutes=n), "score": n % 7, "first_name": "Ali"}
            for n in range(57)
        ),
    )
    for args in (
        {},
        {"page": "2"},
        {"sort": "score"},
        {"sort": "received_asc", "page": "2"},
        {"q": "ali", "score_min": "3"},
    ):
        dashboard = [
            int(m) for m in ROW.findall(client.get("/facebook-leads/", query_string=args).data)
        ]
        assert ids(client.get(f"{API}/leads", query_string=args)) == dashboard, args

    body = client.get(f"{API}/leads", query_string={"per_page": 10, "page": 3}).get_json()
    assert [i["id"] for i in body["items"]] == list(reversed(made))[20:30]
    assert (body["total"], body["page"], body["pages"], body["per_page"]) == (57, 3, 6, 10)
    huge = client.get(f"{API}/leads", query_string={"per_page": 10_000}).get_json()
    assert huge["per_page"] == 100 and len(huge["items"]) == 57


def test_staff_list_only_their_own_leads_whatever_the_filters(client, ayse, mixed, users):
    assert ids(client.get(f"{API}/leads")) == [mixed["assigned_ayse"]]
    assert client.get(f"{API}/leads").get_json()["total"] == 1
    assert ids(client.get(f"{API}/leads", query_string={"assignee": users["mehmet"]})) == []
    assert ids(client.get(f"{API}/leads", query_string={"q": "kemal"})) == []
    assert ids(client.get(f"{API}/recent")) == [mixed["assigned_ayse"]]


def test_recent_lists_the_newest_shown_leads(client, admin, mixed):
    assert ids(client.get(f"{API}/recent")) == [mixed[name] for name in SHOWN]
    assert len(ids(client.get(f"{API}/recent", query_string={"limit": 2}))) == 2


# --- detail ---------------------------------------------------------------------------------


def test_lead_detail_has_fields_answers_and_the_timeline_newest_first(app, client, admin, mixed):
    lead_id = mixed["new_1"]
    client.post(f"/facebook-leads/{lead_id}/status", json={"status": "contacted"})
    client.post(
        f"/facebook-leads/{lead_id}/interactions",
        json={"interaction_type": "call", "description": "<b>May</b>", "result": "callback"},
    )
    body = client.get(f"{API}/leads/{lead_id}").get_json()
    assert (body["id"], body["first_name"], body["status"]) == (lead_id, "Nur", "contacted")
    assert body["answers"][0]["name"] == "full_name"
    assert body["first_contacted_at"] is not None
    assert [(t["type"], t["description"], t["result"], t["user"]) for t in body["timeline"]] == [
        ("call", "<b>May</b>", "callback", "admin"),
        ("status_change", "Status new → contacted.", None, "admin"),
    ]


def test_lead_detail_is_404_json_for_staff_on_anothers_lead(client, ayse, mixed):
    assert client.get(f"{API}/leads/{mixed['assigned_ayse']}").status_code == 200
    for name in ("contacted_mehmet", "new_1", "deleted"):
        response = client.get(f"{API}/leads/{mixed[name]}")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
        assert b"Kemal" not in response.data


def test_a_deleted_or_missing_lead_is_404_for_superadmins_too(client, admin, mixed):
    for lead_id in (mixed["deleted"], 999_999):
        assert client.get(f"{API}/leads/{lead_id}").status_code == 404


# --- access and limits ----------------------------------------------------------------------


def test_anonymous_callers_get_401_json(app, client):
    (lead_id,) = add_leads(app, {})
    for path in ("/stats", "/recent", "/leads", f"/leads/{lead_id}"):
        response = client.get(API + path)
        assert response.status_code == 401, path
        assert response.get_json() == {
            "error": {"code": "unauthorized", "message": "Sign in first."}
        }


@pytest.mark.parametrize(
    "app_config", [{"RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "5 per hour"}]
)
def test_the_sixth_api_call_within_the_limit_is_429_json(client, admin):
    # One budget for the whole API, not one per route.
    for n, path in enumerate(("/stats", "/recent", "/leads", "/stats", "/recent")):
        assert client.get(API + path).status_code == 200, n
    response = client.get(f"{API}/leads")
    assert response.status_code == 429
    error = response.get_json()["error"]
    assert error["code"] == "too_many_requests" and 3500 < error["retry_after"] <= 3601
    assert error["message"] == "Too many attempts. Try again in 60 minutes."
