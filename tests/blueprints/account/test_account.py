"""The account page (address, name, language, notification choices, password change) and
the mails' unsubscribe links, followed from a real mail received by a real SMTP server."""

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, User
from app.services import lead_workflow, notification_prefs
from app.tasks import mail_jobs
from tests import factories
from tests.mail_server import smtp_config


@pytest.fixture
def app_config(smtp):
    return smtp_config(smtp)


def user(app, name: str) -> User:
    with app.app_context():
        found = db.session.scalar(sa.select(User).where(User.username == name))
        db.session.expunge(found)
        return found


def test_the_account_page_saves_address_name_language_and_choices(app, client, auth, users):
    auth.login("ayse")
    page = client.get("/account").get_data(as_text=True)
    assert "My account" in page and "You have no email address" in page
    assert "New-lead alerts" not in page  # a superadmin's choice
    response = client.post(
        "/account",
        data={
            "email": " Ayse@Example.COM ",
            "display_name": "  Ayşe   Demir ",
            "language": "tr",
            "notify_assignments": "y",
            "notify_daily_summary": "y",
        },
    )
    assert urlsplit(response.headers["Location"]).path == "/account"
    saved = user(app, "ayse")
    assert (saved.email, saved.display_name, saved.language) == (
        "Ayse@example.com",
        "Ayşe Demir",
        "tr",
    )
    assert saved.notify_assignments and saved.notify_daily_summary
    assert not saved.notify_changes and not saved.notify_browser
    assert "Hesabım" in client.get("/account").get_data(as_text=True)  # now in Turkish


def test_a_bad_address_is_refused_and_nothing_is_saved(app, client, auth, users):
    auth.login("ayse")
    response = client.post("/account", data={"email": "not an address", "display_name": "X"})
    assert response.status_code == 200 and "That is not an email address." in response.get_data(
        as_text=True
    )
    assert user(app, "ayse").display_name is None


def test_a_password_change_needs_the_current_one_and_ends_other_sessions(app, auth, users):
    elsewhere = app.test_client()
    elsewhere.post("/auth/login", data={"username": "ayse", "password": "correct-horse"})
    here = app.test_client()
    here.post("/auth/login", data={"username": "ayse", "password": "correct-horse"})
    wrong = here.post(
        "/account/password",
        data={"current": "nope-nope", "password": "brand-new-pw", "confirm": "brand-new-pw"},
    )
    assert wrong.status_code == 400 and "The current password is wrong." in wrong.get_data(
        as_text=True
    )
    right = here.post(
        "/account/password",
        data={"current": "correct-horse", "password": "brand-new-pw", "confirm": "brand-new-pw"},
    )
    assert urlsplit(right.headers["Location"]).path == "/account"
    assert here.get("/account").status_code == 200  # this sign-in was re-issued
    assert urlsplit(elsewhere.get("/account").headers["Location"]).path == "/auth/login"
    fresh = app.test_client()
    login = fresh.post("/auth/login", data={"username": "ayse", "password": "brand-new-pw"})
    assert urlsplit(login.headers["Location"]).path.startswith("/facebook-leads/")


def assignment_mail(app, smtp, users):
    with app.app_context():
        ayse = db.session.get(User, users["ayse"])
        ayse.email = "ayse@example.com"
        lead = factories.make_lead(first_name="Deniz")
        lead_workflow.assign(lead, ayse, actor=db.session.get(User, users["admin"]))
        db.session.commit()
        mail_jobs.send_pending()
    [message] = smtp.parsed()
    return message


def test_the_mails_link_turns_that_choice_off_in_one_click(app, client, users, smtp):
    message = assignment_mail(app, smtp, users)
    link = message["List-Unsubscribe"].strip().strip("<>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in message.get_body(("plain",)).get_content()
    path = urlsplit(link).path
    page = client.get(path).get_data(as_text=True)
    assert "Stop these mails?" in page and "Leads assigned to me" in page
    assert user(app, "ayse").notify_assignments  # a GET changes nothing
    done = client.post(
        path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert done.status_code == 200 and "you will not get these mails" in done.get_data(as_text=True)
    saved = user(app, "ayse")
    assert not saved.notify_assignments and saved.notify_changes


def test_forged_or_foreign_unsubscribe_links_are_refused(app, client, users):
    with app.app_context():
        good = notification_prefs.unsubscribe_token(users["ayse"], "notify_changes")
        other = notification_prefs.serializer().dumps([users["ayse"], "is_active"])
    assert client.get(f"/account/unsubscribe/{good[:-2]}xx").status_code == 404
    assert client.post(f"/account/unsubscribe/{other}").status_code == 404
    assert user(app, "ayse").is_active


class TestWithCsrf:
    @pytest.fixture
    def app_config(self, smtp):
        return smtp_config(smtp) | {"WTF_CSRF_ENABLED": True}

    def test_one_click_needs_no_csrf_token_but_the_account_page_does(
        self, app, client, users, smtp
    ):
        message = assignment_mail(app, smtp, users)
        path = urlsplit(message["List-Unsubscribe"].strip().strip("<>")).path
        assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
        assert not user(app, "ayse").notify_assignments
        with app.app_context():
            assert db.session.scalar(sa.select(FacebookLead.first_name)) == "Deniz"
