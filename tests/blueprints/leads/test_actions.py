"""The actions on a lead (status, assign, log contact) as form posts and as JSON: answers,
timeline rows, optimistic locking, role rules, CSRF, and hostile text kept as text."""

import re

import pytest
import sqlalchemy as sa
from markupsafe import escape

from app.extensions import db
from app.models import FacebookLead, InteractionType, LeadInteraction, LeadStatus
from tests import factories

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def url(lead_id: int, action: str = "") -> str:
    return f"/facebook-leads/{lead_id}" + (f"/{action}" if action else "")


def add_lead(app, **values) -> int:
    with app.app_context():
        lead_id = factories.make_lead(**values).id
        db.session.commit()
    return lead_id


def lead_row(app, lead_id: int) -> tuple:
    with app.app_context():
        lead = db.session.get(FacebookLead, lead_id)
        return lead.status, lead.assigned_to_id, lead.version_id


def timeline(app, lead_id: int) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(LeadInteraction)
            .where(LeadInteraction.lead_id == lead_id)
            .order_by(LeadInteraction.id)
        )
        return [(i.user_id, i.interaction_type, i.description, i.result) for i in rows]


@pytest.fixture
def admin(auth, users):
    auth.login("admin")
    return users["admin"]


@pytest.fixture
def ayse(auth, users):
    auth.login("ayse")
    return users["ayse"]


# --- form posts -----------------------------------------------------------------------------


def test_a_status_form_post_redirects_to_the_lead_with_a_flash_and_a_timeline_row(
    app, client, admin
):
    lead_id = add_lead(app)
    response = client.post(
        url(lead_id, "status"), data={"status": "contacted", "version_id": "1", "note": "Called"}
    )
    assert response.status_code in (302, 303)
    assert response.headers["Location"] == url(lead_id)
    page = client.get(response.headers["Location"])
    assert b"Status changed to Contacted." in page.data
    assert b"Status new \xe2\x86\x92 contacted. Called" in page.data
    assert lead_row(app, lead_id)[0] == LeadStatus.CONTACTED
    assert timeline(app, lead_id) == [
        (admin, InteractionType.STATUS_CHANGE, "Status new → contacted. Called", None)
    ]


def test_a_form_post_may_return_to_a_local_next_page_but_not_elsewhere(app, client, admin):
    lead_id = add_lead(app)
    back = client.post(
        url(lead_id, "status"), data={"status": "lost", "next": "/facebook-leads/?status=new"}
    )
    assert back.headers["Location"] == "/facebook-leads/?status=new"
    away = client.post(
        url(lead_id, "status"), data={"status": "new", "next": "https://evil.example/"}
    )
    assert away.headers["Location"] == url(lead_id)


def test_an_assign_form_post_assigns_and_logs_it(app, client, admin, users):
    lead_id = add_lead(app)
    response = client.post(url(lead_id, "assign"), data={"user_id": str(users["ayse"])})
    assert response.headers["Location"] == url(lead_id)
    assert b"Lead assigned to ayse." in client.get(url(lead_id)).data
    assert lead_row(app, lead_id)[:2] == (LeadStatus.ASSIGNED, users["ayse"])
    assert timeline(app, lead_id)[0][:2] == (admin, InteractionType.ASSIGNMENT)

    client.post(url(lead_id, "assign"), data={"user_id": ""})
    assert b"Lead unassigned." in client.get(url(lead_id)).data
    assert lead_row(app, lead_id)[:2] == (LeadStatus.NEW, None)


def test_an_interaction_form_post_logs_the_call_and_moves_the_lead_on(app, client, admin):
    lead_id = add_lead(app)
    response = client.post(
        url(lead_id, "interactions"),
        data={"interaction_type": "call", "result": "reached", "description": "Wants May"},
    )
    assert response.headers["Location"] == url(lead_id)
    page = client.get(url(lead_id))
    assert b"Logged." in page.data and b"Wants May" in page.data
    assert lead_row(app, lead_id)[0] == LeadStatus.CONTACTED
    assert timeline(app, lead_id) == [(admin, InteractionType.CALL, "Wants May", "reached")]


def test_a_refused_form_post_flashes_the_reason_and_changes_nothing(app, client, admin):
    lead_id = add_lead(app)
    response = client.post(
        url(lead_id, "status"),
        data={"status": "converted"},
        headers={"Referer": f"http://localhost{url(lead_id)}"},
    )
    assert response.status_code in (302, 303)
    page = client.get(url(lead_id))
    assert b"A New lead cannot become Converted." in page.data
    assert lead_row(app, lead_id) == (LeadStatus.NEW, None, 1)
    assert timeline(app, lead_id) == []


# --- JSON -----------------------------------------------------------------------------------


def test_a_json_status_change_answers_with_the_lead(app, client, admin):
    lead_id = add_lead(app)
    response = client.post(url(lead_id, "status"), json={"status": "contacted", "version_id": 1})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], body["status"], body["version_id"]) == (lead_id, "contacted", 2)
    assert lead_row(app, lead_id) == (LeadStatus.CONTACTED, None, 2)
    assert len(timeline(app, lead_id)) == 1


def test_a_json_assignment_answers_with_the_lead(app, client, admin, users):
    lead_id = add_lead(app)
    response = client.post(url(lead_id, "assign"), json={"user_id": users["ayse"]})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["assigned_to"], body["assigned_to_id"], body["status"]) == (
        "ayse",
        users["ayse"],
        "assigned",
    )
    response = client.post(url(lead_id, "assign"), json={"user_id": None, "version_id": 2})
    assert response.get_json()["assigned_to"] is None
    assert lead_row(app, lead_id)[:2] == (LeadStatus.NEW, None)


def test_a_json_interaction_answers_201_with_the_rescored_lead(app, client, admin):
    lead_id = add_lead(app, score=0)
    response = client.post(
        url(lead_id, "interactions"),
        json={"interaction_type": "call", "description": "Sent prices", "result": "reached"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "contacted"
    assert body["score_breakdown"]["engagement"] >= 6
    assert body["score"] == sum(body["score_breakdown"].values())
    assert timeline(app, lead_id) == [(admin, InteractionType.CALL, "Sent prices", "reached")]


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("status", {"status": "lost", "version_id": 1}),
        ("assign", {"user_id": "USER", "version_id": 1}),
        ("interactions", {"interaction_type": "note", "description": "x", "version_id": 1}),
    ],
)
def test_a_stale_version_is_a_409_json_conflict_and_changes_nothing(
    app, client, admin, users, action, body
):
    lead_id = add_lead(app)
    assert client.post(url(lead_id, "status"), json={"status": "contacted"}).status_code == 200
    before = (lead_row(app, lead_id), timeline(app, lead_id))
    if body.get("user_id") == "USER":
        body = body | {"user_id": users["ayse"]}
    response = client.post(url(lead_id, action), json=body)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "conflict" and "changed by someone else" in error["message"]
    assert (lead_row(app, lead_id), timeline(app, lead_id)) == before


def test_an_invalid_transition_is_a_422_json_error(app, client, admin):
    lead_id = add_lead(app)
    response = client.post(url(lead_id, "status"), json={"status": "converted", "version_id": 1})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_transition"
    assert "Allowed: Assigned, Contacted, Invalid, Lost." in error["message"]
    assert lead_row(app, lead_id) == (LeadStatus.NEW, None, 1)


@pytest.mark.parametrize(
    ("action", "body", "message"),
    [
        ("status", ["contacted"], "JSON object"),
        ("status", {"version_id": 1}, "Missing status"),
        ("status", {"status": "contacted", "version_id": "1"}, "version_id"),
        ("status", {"status": "contacted", "version_id": True}, "version_id"),
        ("status", {"status": "won"}, "Unknown status"),
        ("assign", {"user_id": "ayse"}, "user's id"),
        ("assign", {"user_id": 999999}, "No such user"),
        ("interactions", {"interaction_type": "note"}, "needs some text"),
        ("interactions", {"interaction_type": "call", "result": "great"}, "Unknown result"),
        ("interactions", {"interaction_type": "fax"}, "Log a note"),
    ],
)
def test_bad_json_is_a_400_saying_what_is_wrong(app, client, admin, action, body, message):
    lead_id = add_lead(app)
    response = client.post(url(lead_id, action), json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid" and message in error["message"]
    assert lead_row(app, lead_id) == (LeadStatus.NEW, None, 1)


# --- roles ----------------------------------------------------------------------------------


def test_staff_work_their_own_lead(app, client, ayse):
    lead_id = add_lead(app, assigned_to_id=ayse, status=LeadStatus.ASSIGNED)
    response = client.post(url(lead_id, "status"), json={"status": "contacted", "version_id": 1})
    assert response.status_code == 200
    response = client.post(
        url(lead_id, "interactions"), json={"interaction_type": "note", "description": "Visa ok"}
    )
    assert response.status_code == 201
    assert [row[0] for row in timeline(app, lead_id)] == [ayse, ayse]


def test_staff_get_404_on_another_persons_or_an_unassigned_lead(app, client, ayse, users):
    others = [
        add_lead(app, assigned_to_id=users["mehmet"], status=LeadStatus.ASSIGNED),
        add_lead(app),
    ]
    attempts = [
        ("status", {"status": "lost"}),
        ("assign", {"user_id": ayse}),
        ("interactions", {"interaction_type": "note", "description": "mine now"}),
    ]
    for lead_id in others:
        before = lead_row(app, lead_id)
        for action, body in attempts:
            assert client.post(url(lead_id, action), json=body).status_code == 404
            assert client.post(url(lead_id, action), data=body).status_code == 404
        assert lead_row(app, lead_id) == before and timeline(app, lead_id) == []


def test_staff_may_not_assign_even_their_own_lead(app, client, ayse, users):
    lead_id = add_lead(app, assigned_to_id=ayse, status=LeadStatus.ASSIGNED)
    for user_id in (users["mehmet"], None):
        response = client.post(url(lead_id, "assign"), json={"user_id": user_id})
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden"
    assert lead_row(app, lead_id) == (LeadStatus.ASSIGNED, ayse, 1)
    assert b'id="assign-form"' not in client.get(url(lead_id)).data


def test_anonymous_posts_are_sent_to_sign_in(app, client):
    lead_id = add_lead(app)
    response = client.post(url(lead_id, "status"), data={"status": "lost"})
    assert response.headers["Location"].startswith("/auth/login")
    assert lead_row(app, lead_id) == (LeadStatus.NEW, None, 1)


# --- hostile text ---------------------------------------------------------------------------


def test_hostile_description_is_stored_as_typed_and_rendered_escaped(app, client, admin):
    lead_id = add_lead(app)
    client.post(
        url(lead_id, "interactions"), data={"interaction_type": "note", "description": HOSTILE}
    )
    client.post(url(lead_id, "status"), json={"status": "lost", "note": HOSTILE})
    assert timeline(app, lead_id)[0][2] == HOSTILE
    assert timeline(app, lead_id)[1][2] == f"Status new → lost. {HOSTILE}"
    page = client.get(url(lead_id)).data.decode()
    assert page.count(str(escape(HOSTILE))) == 2
    assert "<script>alert" not in page and "<img src=x" not in page


# --- CSRF -----------------------------------------------------------------------------------

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_with_csrf_on_json_posts_need_the_token_from_the_page_meta_tag(app, client, users):
    login_page = client.get("/auth/login").data.decode()
    client.post(
        "/auth/login",
        data={
            "username": "admin",
            "password": "correct-horse",
            "csrf_token": CSRF_INPUT.search(login_page).group(1),
        },
    )
    lead_id = add_lead(app)
    page = client.get(url(lead_id))
    assert page.status_code == 200
    token = CSRF_META.search(page.data.decode()).group(1)

    refused = client.post(url(lead_id, "status"), json={"status": "contacted", "version_id": 1})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf_failed"
    forged = client.post(
        url(lead_id, "status"),
        json={"status": "contacted", "version_id": 1},
        headers={"X-CSRFToken": "not-the-token"},
    )
    assert forged.status_code == 400
    form_without = client.post(url(lead_id, "status"), data={"status": "contacted"})
    assert form_without.status_code in (302, 303)
    assert lead_row(app, lead_id) == (LeadStatus.NEW, None, 1)

    accepted = client.post(
        url(lead_id, "status"),
        json={"status": "contacted", "version_id": 1},
        headers={"X-CSRFToken": token},
    )
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "contacted"
    form_with = client.post(
        url(lead_id, "interactions"),
        data={"interaction_type": "note", "description": "ok", "csrf_token": token},
    )
    assert form_with.headers["Location"] == url(lead_id)
    assert len(timeline(app, lead_id)) == 2
