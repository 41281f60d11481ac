"""Sign-in and sign-out: messages, sessions, redirects, brute force, CSRF (SECURITY 3, 5-7)."""

import re
from urllib.parse import urlsplit

import pytest

from app import create_app
from app.extensions import db
from app.models import Role, User
from app.services import accounts, user_sessions
from tests import factories
from tests.conftest import AuthActions, config_for, reset_schema

DASHBOARD = "/facebook-leads/"
MY_DAY = "/facebook-leads/my-day"  # where signing in lands
WRONG_LOGIN = b"Wrong username or password."
CSRF_REFUSED = b"Your form expired or was sent from elsewhere."


def location_path(response) -> str:
    """The redirect target as a local path; fails if it points at another host."""
    parts = urlsplit(response.headers["Location"])
    assert parts.scheme in ("", "http")
    assert parts.netloc in ("", "localhost"), response.headers["Location"]
    return parts.path + (f"?{parts.query}" if parts.query else "")


def signed_in_user_id(client) -> str | None:
    """The sign-in key the session cookie carries ("<user_sessions id>:<secret>"), if any."""
    with client.session_transaction() as sess:
        return sess.get("_user_id")


def signed_in_as(app, client) -> int | None:
    """The id of the user the cookie's sign-in belongs to (None: no live sign-in)."""
    key = signed_in_user_id(client)
    with app.app_context():
        user = user_sessions.user_for_key(key) if key else None
        return user.id if user else None


def csrf_token_from(html: bytes) -> str:
    match = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        rb'<meta name="csrf-token" content="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1).decode()


@pytest.fixture
def make_app(database):
    """Build an app with config overrides, its schema fresh and `admin`/`ayse` in it."""
    made = []

    def build(**overrides):
        app = create_app(config_for(database, **overrides))
        with app.app_context():
            reset_schema()
            factories.make_user("admin", role=Role.SUPERADMIN)
            factories.make_user("ayse")
            db.session.commit()
        made.append(app)
        return app

    yield build
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def limited_app(make_app):
    return make_app(RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")


# --- the login form -------------------------------------------------------------------------


def test_login_page_renders_the_form_with_a_csrf_token_field(csrf_app):
    response = csrf_app.test_client().get("/auth/login")
    assert response.status_code == 200
    html = response.data
    assert b'name="username"' in html
    assert b'name="password"' in html
    assert b'type="password"' in html
    assert len(csrf_token_from(html)) > 20


def test_good_login_lands_on_my_day(app, client, auth, users):
    response = auth.login()
    assert location_path(response) == MY_DAY
    assert signed_in_as(app, client) == users["admin"]
    assert client.get(DASHBOARD).status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_answer_and_no_session(client, auth, users):
    wrong_password = auth.login("admin", "not-the-password")
    assert signed_in_user_id(client) is None
    unknown_user = auth.login("nobody", "correct-horse")
    assert signed_in_user_id(client) is None

    assert wrong_password.status_code == unknown_user.status_code == 200
    assert WRONG_LOGIN in wrong_password.data
    assert WRONG_LOGIN in unknown_user.data
    assert b"Unknown user" not in unknown_user.data
    assert location_path(client.get(DASHBOARD)).startswith("/auth/login")


def test_inactive_user_cannot_log_in(app, client, auth, users):
    with app.app_context():
        db.session.get(User, users["admin"]).is_active = False
        db.session.commit()
    response = auth.login()
    assert WRONG_LOGIN in response.data
    assert signed_in_user_id(client) is None


def test_deactivating_a_user_ends_their_open_session(app, client, auth, users):
    auth.login()
    assert client.get(DASHBOARD).status_code == 200
    with app.app_context():
        db.session.get(User, users["admin"]).is_active = False
        db.session.commit()
    assert location_path(client.get(DASHBOARD)).startswith("/auth/login")


def test_login_records_last_login_time(app, auth, users):
    auth.login()
    with app.app_context():
        assert db.session.get(User, users["admin"]).last_login_at is not None


# --- logout ---------------------------------------------------------------------------------


def test_post_logout_signs_out(client, auth, users):
    auth.login()
    response = auth.logout()
    assert location_path(response) == "/auth/login"
    assert signed_in_user_id(client) is None
    assert location_path(client.get(DASHBOARD)).startswith("/auth/login")


def test_get_logout_is_not_allowed_and_keeps_the_session(client, auth, users):
    auth.login()
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert client.get(DASHBOARD).status_code == 200


# --- session fixation -----------------------------------------------------------------------


def test_login_issues_a_new_session_and_drops_planted_data(app, client, auth, users):
    client.get("/auth/login")
    with client.session_transaction() as sess:
        sess["planted"] = "attacker-chosen"
    before = client.get_cookie("session").value

    auth.login()

    assert client.get_cookie("session").value != before
    with client.session_transaction() as sess:
        assert "planted" not in sess
    assert signed_in_as(app, client) == users["admin"]


def test_changing_the_password_ends_other_sessions(app, auth, users):
    auth.login()
    other_device = app.test_client()
    AuthActions(other_device).login()
    assert other_device.get(DASHBOARD).status_code == 200

    with app.app_context():
        accounts.reset_password(db.session.get(User, users["admin"]), "a-brand-new-password")
        db.session.commit()

    assert location_path(other_device.get(DASHBOARD)).startswith("/auth/login")
    fresh = app.test_client()
    AuthActions(fresh).login(password="a-brand-new-password")
    assert fresh.get(DASHBOARD).status_code == 200


@pytest.mark.parametrize("forged", ["{user}", "{user}:", "{session}:not-the-secret", "{session}"])
def test_a_cookie_naming_no_live_sign_in_is_not_signed_in(app, client, auth, users, forged):
    auth.login("ayse")  # a live sign-in of someone else exists
    session_id = signed_in_user_id(client).partition(":")[0]
    with client.session_transaction() as sess:
        sess["_user_id"] = forged.format(user=users["admin"], session=session_id)
        sess["_fresh"] = True
    assert location_path(client.get(DASHBOARD)).startswith("/auth/login")


# --- open redirect --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "https:evil.example",
        "javascript:alert(1)",
    ],
)
def test_login_ignores_a_next_that_leaves_the_site(client, users, target):
    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"username": "admin", "password": "correct-horse"},
    )
    assert location_path(response) == MY_DAY
    assert "evil" not in response.headers["Location"]


def test_login_honours_a_local_next_with_its_query(client, users):
    response = client.post(
        "/auth/login",
        query_string={"next": "/facebook-leads/?status=new"},
        data={"username": "admin", "password": "correct-horse"},
    )
    assert location_path(response) == "/facebook-leads/?status=new"


def test_anonymous_visit_then_login_returns_to_the_page_asked_for(client, users):
    asked = client.get("/facebook-leads/?status=new&sort=score")
    login_url = location_path(asked)
    assert login_url.startswith("/auth/login?next=")
    response = client.post(login_url, data={"username": "admin", "password": "correct-horse"})
    assert location_path(response) == "/facebook-leads/?status=new&sort=score"


def test_signed_in_user_visiting_login_goes_to_my_day(client, auth, users):
    auth.login()
    response = client.get("/auth/login", query_string={"next": "https://evil.example"})
    assert location_path(response) == MY_DAY


# --- brute force ----------------------------------------------------------------------------


def attempt(client, username, password="wrong-password", ip="127.0.0.1"):
    return client.post(
        "/auth/login",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_fourth_login_from_one_ip_is_refused_with_429(limited_app):
    client = limited_app.test_client()
    for name in ("alice", "bob", "carol"):
        assert attempt(client, name).status_code == 200
    refused = attempt(client, "admin", "correct-horse")
    assert refused.status_code == 429
    assert b"Too many attempts" in refused.data
    assert signed_in_user_id(client) is None
    # Another address is not affected by this one's limit.
    other = limited_app.test_client()
    ok = attempt(other, "ayse", "correct-horse", ip="10.0.0.99")
    assert location_path(ok) == MY_DAY


def test_fourth_login_for_one_username_is_refused_from_any_ip(limited_app):
    client = limited_app.test_client()
    for n in range(3):
        assert attempt(client, "admin", ip=f"10.0.0.{n + 1}").status_code == 200
    refused = attempt(client, "admin", "correct-horse", ip="10.0.0.200")
    assert refused.status_code == 429
    assert b"Too many attempts" in refused.data
    assert signed_in_user_id(client) is None
    # Another username from a fresh address still gets in.
    ok = attempt(client, "ayse", "correct-horse", ip="10.0.1.1")
    assert location_path(ok) == MY_DAY


def test_username_limit_ignores_case_and_spaces(limited_app):
    client = limited_app.test_client()
    for n, name in enumerate(("admin", "ADMIN", " Admin ")):
        assert attempt(client, name, ip=f"10.0.0.{n + 1}").status_code == 200
    assert attempt(client, "admin", ip="10.0.0.50").status_code == 429


def test_login_page_get_is_not_rate_limited(limited_app):
    client = limited_app.test_client()
    for _ in range(5):
        assert client.get("/auth/login").status_code == 200


# --- CSRF -----------------------------------------------------------------------------------


def test_login_post_without_csrf_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    client.get("/auth/login")
    response = client.post(
        "/auth/login",
        data={"username": "admin", "password": "correct-horse"},
        follow_redirects=True,
    )
    assert CSRF_REFUSED in response.data
    assert signed_in_user_id(client) is None


def test_login_post_with_a_token_from_another_session_is_refused(csrf_app):
    stranger = csrf_app.test_client()
    token = csrf_token_from(stranger.get("/auth/login").data)
    client = csrf_app.test_client()
    client.get("/auth/login")
    client.post(
        "/auth/login", data={"username": "admin", "password": "correct-horse", "csrf_token": token}
    )
    assert signed_in_user_id(client) is None


def test_login_post_with_the_scraped_csrf_token_works(csrf_app):
    client = csrf_app.test_client()
    token = csrf_token_from(client.get("/auth/login").data)
    response = client.post(
        "/auth/login", data={"username": "admin", "password": "correct-horse", "csrf_token": token}
    )
    assert location_path(response) == MY_DAY
    assert signed_in_user_id(client) is not None


def test_logout_without_csrf_token_does_not_sign_out(csrf_app):
    client = csrf_app.test_client()
    token = csrf_token_from(client.get("/auth/login").data)
    client.post(
        "/auth/login", data={"username": "admin", "password": "correct-horse", "csrf_token": token}
    )
    page = client.get(DASHBOARD)
    assert page.status_code == 200

    refused = client.post("/auth/logout", follow_redirects=True)
    assert CSRF_REFUSED in refused.data
    assert client.get(DASHBOARD).status_code == 200

    client.post("/auth/logout", data={"csrf_token": csrf_token_from(page.data)})
    assert location_path(client.get(DASHBOARD)).startswith("/auth/login")
