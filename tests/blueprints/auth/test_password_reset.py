"""Password reset by mail, end to end through a real SMTP server: the same answer for
any name, a link that works once and for 30 minutes, every sign-in ended, a superadmin's
"Mail a reset link"."""

import re
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import pytest

from app.extensions import db
from app.models import OutboxMail, Role, User
from app.services import password_reset, user_sessions
from app.tasks import mail_jobs
from tests import factories
from tests.mail_server import smtp_config

ANSWER = b"If an account with an email matches"
LINK = re.compile(r"http://[^/\s]+(/auth/reset/[A-Za-z0-9_.\-]+)")


@pytest.fixture
def app_config(smtp):
    return smtp_config(smtp) | {"RATELIMIT_ENABLED": False}


@pytest.fixture
def users(app):
    with app.app_context():
        ayse = factories.make_user("ayse")
        ayse.email, ayse.language = "ayse@example.com", "tr"
        factories.make_user("noemail")
        admin = factories.make_user("admin", role=Role.SUPERADMIN)
        admin.email = "admin@example.com"
        db.session.commit()


def send_and_read_link(app, smtp, count: int = 1) -> str:
    with app.app_context():
        mail_jobs.send_pending()
    messages = smtp.wait_for(count)
    assert len(messages) == count
    body = message_from_bytes(messages[-1][1], policy=policy.default)
    return LINK.search(body.get_body(("plain",)).get_content()).group(1), body


def outbox_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(OutboxMail))


def test_the_answer_is_the_same_whether_or_not_the_account_exists(app, client, users, smtp):
    answers = [
        client.post("/auth/forgot", data={"identifier": name}, follow_redirects=True)
        for name in ("ayse", "nobody", "noemail", "AYSE@example.com")
    ]
    assert all(a.status_code == 200 and ANSWER in a.data for a in answers)
    assert outbox_count(app) == 1  # ayse once: the same minute's second ask is the same mail
    path, message = send_and_read_link(app, smtp)
    assert message["To"] == "ayse@example.com"
    assert "şifre" in message["Subject"].lower() or "parola" in message["Subject"].lower()


def test_two_asks_a_moment_apart_across_a_minute_s_turn_send_one_mail(app, users):
    """At most one mail a minute is a rolling minute: 12:00:59.9 and 12:01:00.1 are one ask
    (a calendar minute in the outbox key alone sent both)."""
    with app.app_context():
        ayse = db.session.scalar(db.select(User).where(User.username == "ayse"))
        turn = datetime(2026, 12, 5, 12, 1, tzinfo=UTC)
        password_reset.send_link(ayse, turn - timedelta(milliseconds=100))
        db.session.execute(
            db.update(OutboxMail).values(created_at=turn - timedelta(milliseconds=100))
        )
        password_reset.send_link(ayse, turn + timedelta(milliseconds=100))
        db.session.commit()
        assert outbox_count(app) == 1
        password_reset.send_link(ayse, turn + timedelta(minutes=1))
        db.session.commit()
        assert outbox_count(app) == 2


def test_the_link_sets_a_password_once_and_ends_every_sign_in(app, client, users, smtp):
    other = app.test_client()
    other.post("/auth/login", data={"username": "ayse", "password": "correct-horse"})
    client.post("/auth/forgot", data={"identifier": "ayse"})
    path, _ = send_and_read_link(app, smtp)
    page = client.get(path)
    assert page.status_code == 200 and b"ayse" in page.data
    differ = client.post(path, data={"password": "a-new-long-password", "confirm": "nope"})
    assert b"The passwords differ." in differ.data
    done = client.post(
        path, data={"password": "a-new-long-password", "confirm": "a-new-long-password"}
    )
    assert urlsplit(done.headers["Location"]).path == "/auth/login"
    assert other.get("/facebook-leads/").status_code == 302  # signed out everywhere
    again = client.post(path, data={"password": "third-password-x", "confirm": "third-password-x"})
    assert again.status_code == 400 and b"does not work any more" in again.data
    login = client.post("/auth/login", data={"username": "ayse", "password": "a-new-long-password"})
    assert urlsplit(login.headers["Location"]).path.startswith("/facebook-leads/")
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="ayse"))
        assert user_sessions.count_sessions(user) == 1


def test_an_expired_forged_or_deactivated_link_is_refused(app, client, users):
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="ayse"))
        signer = password_reset.serializer()
        signer.get_timestamp = lambda: int(time.time()) - 31 * 60  # made 31 minutes ago
        old = signer.dumps([user.id, password_reset.fingerprint(user)])
        fresh = password_reset.make_token(user)
        user.is_active = False
        db.session.commit()
    assert client.get(f"/auth/reset/{old}").status_code == 400
    assert client.get(f"/auth/reset/{fresh}").status_code == 400  # deactivated
    assert client.get(f"/auth/reset/{fresh[:-2]}xx").status_code == 400
    assert client.get("/auth/reset/" + "a" * 3000).status_code in (400, 404)


def test_a_superadmin_mails_a_reset_link_instead_of_typing_a_password(app, client, users, smtp):
    client.post("/auth/login", data={"username": "admin", "password": "correct-horse"})
    with app.app_context():
        ayse = db.session.scalar(db.select(User).filter_by(username="ayse")).id
        nomail = db.session.scalar(db.select(User).filter_by(username="noemail")).id
    sent = client.post(f"/admin/users/{ayse}/send-reset-link", follow_redirects=True)
    assert b"is on its way to ayse@example.com" in sent.data
    refused = client.post(f"/admin/users/{nomail}/send-reset-link", follow_redirects=True)
    assert b"has no email" in refused.data
    path, message = send_and_read_link(app, smtp)
    assert message["To"] == "ayse@example.com"
    assert client.get(path).status_code == 200
