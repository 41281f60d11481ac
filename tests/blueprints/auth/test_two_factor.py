"""Two-factor sign-in through the pages: the code after the password, the remembered
device, set-up and recovery codes, turning it off, the superadmins' policy, the CLI."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pyotp
import pytest

from app.extensions import db
from app.models import Role, User, UserTwoFactor
from app.services import two_factor
from tests import factories

PASSWORD = "correct-horse"
HOME = "/facebook-leads/my-day"  # where signing in lands


def path(response) -> str:
    return urlsplit(response.headers["Location"]).path


def enrol(app, username: str) -> str:
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username=username))
        enrolment = two_factor.begin_enrolment(user, "Meta Lead Desk")
        earlier = datetime.now(UTC) - timedelta(minutes=2)  # so the current code is unused
        two_factor.confirm_enrolment(user, pyotp.TOTP(enrolment.secret).at(earlier), earlier)
        db.session.commit()
        return enrolment.secret


@pytest.fixture
def users(app):
    with app.app_context():
        factories.make_user("admin", role=Role.SUPERADMIN)
        factories.make_user("ayse")
        db.session.commit()


def login(client, username="admin", password=PASSWORD, next_url=None):
    url = "/auth/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"username": username, "password": password})


def test_with_two_factor_on_the_password_alone_does_not_sign_in(app, client, users):
    secret = enrol(app, "admin")
    response = login(client, next_url="/admin/users")
    assert path(response) == "/auth/two-factor"
    assert client.get("/facebook-leads/").status_code == 302  # not signed in yet
    page = client.get(response.headers["Location"])
    assert b"authenticator app" in page.data
    wrong = client.post(response.headers["Location"], data={"code": "000000"})
    assert b"That code is not right" in wrong.data
    right = client.post(response.headers["Location"], data={"code": pyotp.TOTP(secret).now()})
    assert path(right) == "/admin/users"
    assert client.get("/facebook-leads/").status_code == 200


def test_a_code_cannot_be_used_twice_and_a_recovery_code_signs_in(app, users):
    secret = enrol(app, "admin")
    code = pyotp.TOTP(secret).now()
    first, second = app.test_client(), app.test_client()
    login(first)
    assert path(first.post("/auth/two-factor", data={"code": code})) == HOME
    login(second)
    replay = second.post("/auth/two-factor", data={"code": code})
    assert replay.status_code == 200 and b"used already" in replay.data
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="admin"))
        recovery = two_factor.new_recovery_codes(user)[3]
        db.session.commit()
    assert path(second.post("/auth/two-factor", data={"code": recovery})) == HOME


def test_remember_this_device_skips_the_code_next_time(app, client, users):
    secret = enrol(app, "admin")
    login(client)
    answer = client.post(
        "/auth/two-factor", data={"code": pyotp.TOTP(secret).now(), "remember": "y"}
    )
    cookie = answer.headers.get_all("Set-Cookie")
    assert any(c.startswith("mld_device=") and "HttpOnly" in c for c in cookie)
    client.post("/auth/logout")
    assert path(login(client)) == HOME  # no code asked on this device
    stranger = app.test_client()
    assert path(login(stranger)) == "/auth/two-factor"


def test_a_stale_or_missing_password_step_sends_back_to_sign_in(app, client, users):
    enrol(app, "admin")
    assert path(client.post("/auth/two-factor", data={"code": "123456"})) == "/auth/login"
    login(client)
    with client.session_transaction() as sess:
        pending = dict(sess["two_factor_pending"])
        sess["two_factor_pending"] = pending | {"at": pending["at"] - 600}
    assert path(client.post("/auth/two-factor", data={"code": "123456"})) == "/auth/login"


def test_set_up_shows_a_qr_code_and_the_first_code_turns_it_on(app, client, users):
    login(client, "ayse")
    page = client.get("/auth/two-factor/setup").get_data(as_text=True)
    assert "<svg" in page and "<?xml" not in page
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    again = client.get("/auth/two-factor/setup").get_data(as_text=True)
    assert secret in again  # a reload keeps the key the phone may have scanned
    wrong = client.post("/auth/two-factor/setup", data={"code": "000000"})
    assert b"That code is not right" in wrong.data
    done = client.post("/auth/two-factor/setup", data={"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r'<span dir="ltr">([a-z0-9]{5}-[a-z0-9]{5})</span>', done.get_data(True))
    assert len(codes) == 10
    status = client.get("/auth/two-factor/setup")
    assert b"10 recovery codes left." in status.data


def test_turning_it_off_needs_the_password(app, client, users):
    enrol(app, "ayse")
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="ayse"))
        user_id = user.id
        cookie = two_factor.remember_device(user, datetime.now(UTC))
        db.session.commit()
    client.set_cookie("mld_device", cookie)
    login(client, "ayse")
    client.post("/auth/two-factor/turn-off", data={"password": "wrong"})
    with app.app_context():
        assert db.session.get(UserTwoFactor, user_id) is not None
    client.post("/auth/two-factor/turn-off", data={"password": PASSWORD})
    with app.app_context():
        assert db.session.get(UserTwoFactor, user_id) is None
        user = db.session.get(User, user_id)
        assert not two_factor.device_is_trusted(user, cookie, datetime.now(UTC))


def test_the_policy_sends_a_superadmin_without_it_to_set_up_first(app, client, users):
    login(client)
    assert path(client.post("/admin/users/two-factor-policy", data={"required": "1"})) == (
        "/admin/users"
    )
    assert path(client.get("/facebook-leads/")) == "/auth/two-factor/setup"
    assert path(client.get("/admin/users")) == "/auth/two-factor/setup"
    assert client.get("/facebook-leads/api/stats").status_code == 403
    assert client.get("/auth/two-factor/setup").status_code == 200
    staff = app.test_client()
    login(staff, "ayse")
    assert staff.get("/facebook-leads/").status_code == 200  # optional for staff
    secret = re.search(
        r'id="totp-secret">([A-Z2-7]+)<', client.get("/auth/two-factor/setup").get_data(True)
    ).group(1)
    client.post("/auth/two-factor/setup", data={"code": pyotp.TOTP(secret).now()})
    assert client.get("/facebook-leads/").status_code == 200
    refused = client.post("/auth/two-factor/turn-off", data={"password": PASSWORD})
    assert path(refused) == "/auth/two-factor/setup"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(UserTwoFactor)) == 1


def test_the_cli_escape_hatch_turns_it_off_and_signs_out(app, client, users, runner):
    enrol(app, "admin")
    result = runner.invoke(args=["users", "reset-2fa", "admin"])
    assert result.exit_code == 0, result.output
    assert "is off" in result.output
    assert path(login(client)) == HOME
    assert runner.invoke(args=["users", "reset-2fa", "nobody"]).exit_code == 1
