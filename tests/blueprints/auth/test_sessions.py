"""Sessions end when they should: a replayed cookie after logout, idle and absolute expiry."""

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa

from app import security
from app.extensions import db
from app.models import UserSession
from config import Config
from tests import factories
from tests.conftest import AuthActions

DASHBOARD = "/facebook-leads/"
API = "/facebook-leads/api/stats"


def cookie_of(client) -> str:
    return client.get_cookie("session").value


def replay(app, cookie: str):
    """A new client (another machine) that sends only this session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def sent_to_login(response) -> bool:
    location = urlsplit(response.headers.get("Location", ""))
    return response.status_code in (302, 303) and location.path == "/auth/login"


def test_a_cookie_replayed_after_logout_is_anonymous_on_pages_and_the_api(app, client, auth, users):
    auth.login()
    stolen = cookie_of(client)
    assert replay(app, stolen).get(DASHBOARD).status_code == 200  # the copy works while live

    auth.logout()

    assert sent_to_login(replay(app, stolen).get(DASHBOARD))
    api = replay(app, stolen).get(API)
    assert api.status_code == 401
    assert api.get_json()["error"]["code"] == "unauthorized"


def test_logging_out_on_one_device_keeps_the_others(app, client, auth, users):
    auth.login()
    phone = app.test_client()
    AuthActions(phone).login()
    auth.logout()
    assert phone.get(DASHBOARD).status_code == 200
    assert sent_to_login(client.get(DASHBOARD))


def test_the_session_cookie_ends_with_the_browser_and_is_re_signed_once_a_minute(
    client, auth, users, monkeypatch
):
    auth.login()
    client.get(DASHBOARD)  # the first page also stores the CSRF token in the session
    first = client.get_cookie("session")
    assert first.expires is None  # not kept on disk past the browser session
    time.sleep(1.1)  # the signature's time stamp has a resolution of one second
    client.get(DASHBOARD)
    assert client.get_cookie("session").value == first.value  # signed a moment ago: left alone
    later = time.time() + security.RENEW_SECONDS
    monkeypatch.setattr(security.time, "time", lambda: later)
    client.get(DASHBOARD)
    assert client.get_cookie("session").value != first.value


def test_a_background_fetch_with_an_older_cookie_keeps_a_message_just_flashed(
    app, client, auth, users
):
    """A live page fetches a row while a form post beside it flashes "Logged.": the fetch,
    sent with the cookie of a moment before, must not set that cookie back."""
    auth.login()
    with app.app_context():
        lead_id = factories.make_lead().id
        db.session.commit()
    before = cookie_of(client)
    response = client.post(
        f"/facebook-leads/{lead_id}/interactions",
        data={"interaction_type": "note", "description": "Called back."},
    )
    assert response.status_code in (302, 303)
    with_message = cookie_of(client)
    background = replay(app, before).get(f"/facebook-leads/{lead_id}/row")
    assert background.status_code == 200
    assert "session=" not in background.headers.get("Set-Cookie", "")
    assert cookie_of(client) == with_message
    assert "Logged." in client.get(f"/facebook-leads/{lead_id}").get_data(as_text=True)


def test_a_cookie_replayed_from_another_browser_is_anonymous(app, client, auth, users):
    auth.login()
    thief = replay(app, cookie_of(client))
    assert sent_to_login(thief.get(DASHBOARD, headers={"User-Agent": "Thief/1.0"}))
    assert client.get(DASHBOARD).status_code == 200


def test_the_default_lifetimes_are_sensible():
    assert timedelta(minutes=15) <= Config.PERMANENT_SESSION_LIFETIME <= timedelta(hours=8)
    assert Config.PERMANENT_SESSION_LIFETIME < Config.SESSION_MAX_AGE <= timedelta(hours=24)


def test_an_idle_cookie_is_refused_although_its_sign_in_is_live(app, client, auth, users):
    auth.login()
    interface = app.session_interface
    serializer = interface.get_signing_serializer(app)
    data = serializer.loads(cookie_of(client))
    idle = app.permanent_session_lifetime + timedelta(minutes=1)

    class SignedEarlier(type(serializer)):
        def make_signer(self, salt=None):
            signer = super().make_signer(salt)
            signer.get_timestamp = lambda: int(time.time() - idle.total_seconds())
            return signer

    old = SignedEarlier(
        app.secret_key,
        salt=serializer.salt,
        serializer=serializer.serializer,
        signer_kwargs=serializer.signer_kwargs,
    )
    assert sent_to_login(replay(app, old.dumps(data)).get(DASHBOARD))
    assert replay(app, serializer.dumps(data)).get(DASHBOARD).status_code == 200


def test_a_sign_in_older_than_the_maximum_age_is_refused(app, client, auth, users):
    auth.login()
    assert client.get(DASHBOARD).status_code == 200
    with app.app_context():
        db.session.execute(
            sa.update(UserSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        db.session.commit()
    assert sent_to_login(client.get(DASHBOARD))


def test_login_records_a_sign_in_that_ends_after_the_maximum_age(app, client, auth, users):
    auth.login()
    with app.app_context():
        row = db.session.scalar(sa.select(UserSession))
    assert row.user_agent and row.user_agent.startswith("Werkzeug/")
    assert abs(row.expires_at - (row.created_at + app.config["SESSION_MAX_AGE"])) < timedelta(
        seconds=1
    )
