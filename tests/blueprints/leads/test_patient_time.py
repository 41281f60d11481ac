"""The patient's local time on the lead page and the dashboard rows, and the "tomorrow 10:00
their time" pick offered only where their clock differs from ours."""

import pytest

from app.extensions import db
from app.models import LeadTask, User
from app.services import lead_workflow
from tests import factories


@pytest.fixture
def leads(app, users):
    with app.app_context():
        admin = db.session.get(User, users["admin"])
        made = {
            "berlin": factories.make_lead(first_name="Jonas", phone="+4915112345678"),
            "istanbul": factories.make_lead(first_name="Ayşe", phone="+905321234567"),
            "unknown": factories.make_lead(first_name="Nobody", phone=None, phone_raw="??"),
        }
        for lead in made.values():
            lead_workflow.assign(lead, admin, actor=admin)
        db.session.commit()
        return {name: lead.id for name, lead in made.items()}


def test_the_lead_page_shows_their_time_zone_and_hint(client, auth, leads):
    auth.login("admin")
    page = client.get(f"/facebook-leads/{leads['berlin']}").get_data(as_text=True)
    assert 'data-zone="Europe/Berlin"' in page and "Their time:" in page
    assert "Europe/Berlin · UTC+" in page
    assert "good time to call" in page  # one of the two hints, translated in the JSON too
    assert '"goodToCall": "good time to call"' in page
    assert '<option value="their_tomorrow">Tomorrow 10:00 their time</option>' in page


def test_no_their_time_pick_where_the_clock_is_ours_or_unknown(client, auth, leads):
    auth.login("admin")
    same = client.get(f"/facebook-leads/{leads['istanbul']}").get_data(as_text=True)
    assert 'data-zone="Europe/Istanbul"' in same and "their_tomorrow" not in same
    unknown = client.get(f"/facebook-leads/{leads['unknown']}").get_data(as_text=True)
    assert "patient-clock" not in unknown and "their_tomorrow" not in unknown


def test_the_pick_posted_stores_a_follow_up(app, client, auth, leads):
    auth.login("admin")
    response = client.post(
        f"/facebook-leads/{leads['berlin']}/interactions",
        data={"interaction_type": "call", "result": "no_answer", "follow_up": "their_tomorrow"},
    )
    assert response.status_code in (302, 303)
    with app.app_context():
        [task] = db.session.query(LeadTask).filter_by(lead_id=leads["berlin"]).all()
        due = task.due_at
    assert (due.hour, due.minute) == (9, 0)  # 10:00 CET in December


def test_dashboard_rows_show_each_patient_s_time(client, auth, leads):
    auth.login("admin")
    page = client.get("/facebook-leads/").get_data(as_text=True)
    assert 'data-zone="Europe/Berlin"' in page  # the desk's own time is not repeated
    assert 'data-zone="Europe/Istanbul"' not in page and page.count('class="patient-clock') == 1
