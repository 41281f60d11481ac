"""The follow-up picks on the lead page's form, the lead's open follow-ups (overdue in red),
marking one done, and the dashboard's "next action" column."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, LeadStatus, LeadTask, TaskKind, User
from app.services import lead_tasks, lead_workflow
from tests import factories


@pytest.fixture
def lead_id(app, users):
    with app.app_context():
        lead = factories.make_lead(first_name="Zeynep")
        admin = db.session.get(User, users["admin"])
        lead_workflow.assign(lead, db.session.get(User, users["ayse"]), actor=admin)
        db.session.commit()
        return lead.id


def tasks_of(app, lead_id: int) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(LeadTask).where(LeadTask.lead_id == lead_id).order_by(LeadTask.id)
        )
        return [(t.kind, t.user_id, t.due_at, t.done_at is None) for t in rows]


def add_task(app, lead_id: int, due_at: datetime) -> int:
    with app.app_context():
        lead = db.session.get(FacebookLead, lead_id)
        task = lead_tasks.schedule(lead, due_at=due_at, actor=None, kind=TaskKind.RETRY)
        db.session.commit()
        return task.id


def test_the_lead_page_asks_when_after_a_callback_in_the_app_time_zone(app, client, auth, lead_id):
    auth.login("ayse")
    page = client.get(f"/facebook-leads/{lead_id}").get_data(as_text=True)
    assert "When should we try again?" in page
    for pick in ("In 1 hour", "This evening 18:00", "Tomorrow 10:00", "At a time…"):
        assert pick in page
    assert 'data-asks-when=\'["callback", "no_answer"]\'' in page
    assert "Times are in Europe/Istanbul." in page
    assert "No follow-up planned." in page


def test_a_callback_with_a_pick_stores_the_follow_up_for_the_assignee(
    app, client, auth, users, lead_id
):
    auth.login("ayse")
    response = client.post(
        f"/facebook-leads/{lead_id}/interactions",
        data={"interaction_type": "call", "result": "callback", "follow_up": "tomorrow"},
    )
    assert response.headers["Location"].endswith(f"/facebook-leads/{lead_id}")
    [(kind, owner, due, is_open)] = tasks_of(app, lead_id)
    assert (kind, owner, is_open) == (TaskKind.CALLBACK, users["ayse"], True)
    assert due.astimezone(ZoneInfo("Europe/Istanbul")).strftime("%H:%M") == "10:00"
    page = client.get(f"/facebook-leads/{lead_id}").get_data(as_text=True)
    assert "Call back" in page and 'data-overdue="false"' in page


def test_a_chosen_time_in_json_and_a_bad_one_refused(app, client, auth, lead_id):
    auth.login("ayse")
    when = (datetime.now(ZoneInfo("Europe/Istanbul")) + timedelta(days=2)).strftime(
        "%Y-%m-%dT%H:%M"
    )
    body = {"interaction_type": "call", "result": "no_answer", "follow_up": "at"}
    response = client.post(
        f"/facebook-leads/{lead_id}/interactions", json=body | {"follow_up_at": when}
    )
    assert response.status_code == 201
    assert [row[0] for row in tasks_of(app, lead_id)] == [TaskKind.RETRY]
    refused = client.post(
        f"/facebook-leads/{lead_id}/interactions", json=body | {"follow_up_at": "2020-01-01T10:00"}
    )
    assert refused.status_code == 400
    assert "must be in the future" in refused.get_json()["error"]["message"]
    assert len(tasks_of(app, lead_id)) == 1  # the refused post logged nothing either
    odd = client.post(f"/facebook-leads/{lead_id}/interactions", json=body | {"follow_up": ["at"]})
    assert odd.status_code == 400


def test_an_overdue_follow_up_is_red_on_the_lead_and_on_the_dashboard(app, client, auth, lead_id):
    add_task(app, lead_id, datetime.now(UTC) - timedelta(hours=3))
    auth.login("ayse")
    page = client.get(f"/facebook-leads/{lead_id}").get_data(as_text=True)
    assert 'data-overdue="true"' in page and "overdue" in page
    dashboard = client.get("/facebook-leads/").get_data(as_text=True)
    assert "Next action" in dashboard
    assert 'class="text-danger fw-semibold" data-overdue="true" data-due=' in dashboard
    assert "Try again ·" in dashboard


def test_marking_a_follow_up_done_closes_it(app, client, auth, lead_id):
    task_id = add_task(app, lead_id, datetime.now(UTC) + timedelta(hours=1))
    auth.login("ayse")
    response = client.post(f"/facebook-leads/{lead_id}/tasks/{task_id}/done")
    assert response.headers["Location"].endswith(f"/facebook-leads/{lead_id}")
    assert tasks_of(app, lead_id)[0][3] is False
    again = client.post(f"/facebook-leads/{lead_id}/tasks/{task_id}/done")
    assert again.status_code == 404


def test_staff_cannot_close_another_persons_follow_up(app, client, auth, lead_id):
    task_id = add_task(app, lead_id, datetime.now(UTC))
    auth.login("mehmet")
    assert client.post(f"/facebook-leads/{lead_id}/tasks/{task_id}/done").status_code == 404
    with app.app_context():
        other = factories.make_lead()
        db.session.commit()
        other_id = other.id
    auth.login("admin")  # a task id under the wrong lead is not found either
    assert client.post(f"/facebook-leads/{other_id}/tasks/{task_id}/done").status_code == 404
    assert tasks_of(app, lead_id)[0][3] is True


def test_reassigning_from_the_lead_page_moves_the_follow_up(app, client, auth, users, lead_id):
    add_task(app, lead_id, datetime.now(UTC))
    auth.login("admin")
    client.post(f"/facebook-leads/{lead_id}/assign", data={"user_id": str(users["mehmet"])})
    assert tasks_of(app, lead_id)[0][1] == users["mehmet"]
    with app.app_context():
        assert db.session.get(FacebookLead, lead_id).status == LeadStatus.ASSIGNED
