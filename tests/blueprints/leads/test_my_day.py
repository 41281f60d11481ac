""" "My day": overdue follow-ups (red), due today, new leads of mine, each with call /
WhatsApp / log buttons; only the user's own; signing in lands here unless a superadmin chose
the dashboard."""

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models import FacebookLead, ResponseTarget, User
from app.services import lead_tasks, lead_workflow
from tests import factories
from tests.clock import room_today

MY_DAY = "/facebook-leads/my-day"
MINUTE = timedelta(minutes=1)


@pytest.fixture
def day(app, users):
    """ayse: an overdue callback, one due in a while today... and a new lead; mehmet: one."""
    with app.app_context():
        admin = db.session.get(User, users["admin"])
        ayse, mehmet = (db.session.get(User, users[name]) for name in ("ayse", "mehmet"))
        leads = {}
        for name, owner in (("Overdue", ayse), ("Soon", ayse), ("Fresh", ayse), ("His", mehmet)):
            lead = factories.make_lead(first_name=name, last_name="Kaya")
            lead_workflow.assign(lead, owner, actor=admin)
            leads[name] = lead
        soon = min(timedelta(seconds=90), room_today(app.config["APP_TIMEZONE"], MINUTE) / 2)
        now = datetime.now(UTC)
        lead_tasks.schedule(leads["Overdue"], due_at=now - timedelta(hours=2), actor=ayse)
        lead_tasks.schedule(leads["Soon"], due_at=now + soon, actor=ayse)
        lead_tasks.schedule(leads["His"], due_at=now - timedelta(hours=1), actor=mehmet)
        for name in ("Overdue", "Soon", "His"):
            leads[name].status = "contacted"
        db.session.commit()
        return {name: lead.id for name, lead in leads.items()}


def section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    end = page.find("</section>", start)
    return page[start:end]


def test_my_day_lists_overdue_today_and_new_leads_in_that_order(client, auth, day):
    auth.login("ayse")
    page = client.get(MY_DAY).get_data(as_text=True)
    assert (
        page.index('id="day-overdue"') < page.index('id="day-today"') < page.index('id="day-new"')
    )
    overdue, today, new = (section(page, s) for s in ("day-overdue", "day-today", "day-new"))
    assert "Overdue Kaya" in overdue and 'data-overdue="true"' in overdue
    assert "text-danger" in overdue
    assert "Soon Kaya" in today and 'data-overdue="false"' in today
    assert "Fresh Kaya" in new
    assert "His Kaya" not in page
    for part in (overdue, today, new):
        assert 'href="tel:+90' in part and 'href="https://wa.me/90' in part
        assert "#work" in part


def test_my_day_says_when_nothing_is_waiting(client, auth, users):
    auth.login("mehmet")
    page = client.get(MY_DAY).get_data(as_text=True)
    assert "Nothing is waiting for you." in page
    assert "start-page-form" not in page  # staff always start here


def test_signing_in_lands_on_my_day_and_a_superadmin_can_switch_to_the_dashboard(
    client, auth, users
):
    assert auth.login("admin").headers["Location"].endswith(MY_DAY)
    page = client.get(MY_DAY).get_data(as_text=True)
    assert "Start on the dashboard after signing in" in page
    response = client.post("/facebook-leads/start-page", data={"page": "dashboard"})
    assert response.headers["Location"].endswith("/facebook-leads/")
    auth.logout()
    assert auth.login("admin").headers["Location"].endswith("/facebook-leads/")
    assert client.get("/").headers["Location"].endswith("/facebook-leads/")
    assert "Start on My day after signing in" in client.get(MY_DAY).get_data(as_text=True)
    client.post("/facebook-leads/start-page", data={"page": "my_day"})
    assert client.get("/").headers["Location"].endswith(MY_DAY)


def test_staff_cannot_choose_the_dashboard(app, client, auth, users):
    auth.login("ayse")
    response = client.post("/facebook-leads/start-page", data={"page": "dashboard"})
    assert "/auth/login" not in response.headers["Location"]
    with client.session_transaction() as session:
        assert "Only a superadmin" in str(session["_flashes"])
    with app.app_context():
        assert db.session.get(User, users["ayse"]).start_page is None
    client.post("/facebook-leads/start-page", data={"page": "<script>"})
    with client.session_transaction() as session:
        assert "Choose My day or the dashboard." in str(session["_flashes"])


def test_a_lead_taken_away_leaves_my_day(app, client, auth, users, day):
    with app.app_context():
        lead = db.session.get(FacebookLead, day["Overdue"])
        admin = db.session.get(User, users["admin"])
        lead_workflow.assign(lead, db.session.get(User, users["mehmet"]), actor=admin)
        db.session.commit()
    auth.login("ayse")
    assert "Overdue Kaya" not in client.get(MY_DAY).get_data(as_text=True)
    auth.logout()
    auth.login("mehmet")
    assert "Overdue Kaya" in section(client.get(MY_DAY).get_data(as_text=True), "day-overdue")


def test_my_day_in_turkish(client, auth, users, day):
    auth.login("ayse")
    client.get(MY_DAY, query_string={"lang": "tr"})  # sets the language, then redirects
    page = client.get(MY_DAY).get_data(as_text=True)
    assert "Günüm" in page and "Gecikmiş takipler" in page and "Hemen ara" in page


def target_for(lead: FacebookLead, *, due_in: timedelta, minutes: int = 30) -> None:
    now = datetime.now(UTC)
    db.session.add(
        ResponseTarget(
            lead_id=lead.id,
            target_minutes=minutes,
            started_at=now - timedelta(minutes=minutes) + due_in,
            due_at=now + due_in,
        )
    )


def test_my_day_lists_response_targets_about_to_be_missed_last_with_their_timer(
    app, client, auth, users
):
    """Soonest first; a lead with time to spare, one already called and another's lead are
    not there; a lead listed here is not listed as new as well; a superadmin also sees the
    unassigned ones."""
    with app.app_context():
        admin = db.session.get(User, users["admin"])
        ayse, mehmet = (db.session.get(User, users[name]) for name in ("ayse", "mehmet"))
        leads = {}
        for name, owner, due_in in (
            ("Late", ayse, timedelta(minutes=-3)),
            ("Close", ayse, timedelta(minutes=4)),
            ("Spare", ayse, timedelta(minutes=25)),
            ("Called", ayse, timedelta(minutes=2)),
            ("Others", mehmet, timedelta(minutes=2)),
            ("Nobodys", None, timedelta(minutes=1)),
        ):
            lead = factories.make_lead(first_name=name, last_name="Demir")
            if owner:
                lead_workflow.assign(lead, owner, actor=admin)
            target_for(lead, due_in=due_in)
            leads[name] = lead
        leads["Called"].first_contacted_at = datetime.now(UTC)
        db.session.commit()
    auth.login("ayse")
    page = client.get(MY_DAY).get_data(as_text=True)
    assert page.index('id="day-new"') < page.index('id="day-at-risk"')
    risky = section(page, "day-at-risk")
    assert risky.index("Late Demir") < risky.index("Close Demir")
    assert "response-timer late" in risky and "response-timer soon" in risky
    assert "Spare Demir" not in risky and "Called Demir" not in risky
    assert "Others Demir" not in page and "Nobodys Demir" not in page
    new = section(page, "day-new")
    assert "Spare Demir" in new and "Late Demir" not in new and "Close Demir" not in new
    assert 'href="tel:+90' in risky and "#work" in risky
    auth.logout()
    auth.login("admin")
    risky = section(client.get(MY_DAY).get_data(as_text=True), "day-at-risk")
    assert "Nobodys Demir" in risky and "Late Demir" not in risky


def test_my_day_without_targets_at_risk_says_so(client, auth, users):
    auth.login("ayse")
    assert "No first contact is about to be late." in client.get(MY_DAY).get_data(as_text=True)
