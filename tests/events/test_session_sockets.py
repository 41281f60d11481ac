"""Ending a sign-in disconnects its open sockets at once, `session_ended` first; with Redis,
even when the sign-in is ended by another process."""

import os
import re
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import requests
import socketio as socketio_client
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db, socketio
from app.models import Role, User
from app.services import accounts
from tests import factories
from tests.conftest import config_for, reset_schema
from tests.events.test_redis_queue import REDIS_URL, redis_available

ROOT = Path(__file__).resolve().parents[2]


def events_of(sio) -> list[tuple[str, object]]:
    """Everything the test socket received (readable after the server disconnected it)."""
    return [(item["name"], item["args"][0]) for item in sio.queue]


@pytest.fixture
def open_socket(app, users):
    """Sign in on a new HTTP client and open a socket with its cookie: (http, socket)."""
    sockets = []

    def open_(username: str):
        http = app.test_client()
        http.post("/auth/login", data={"username": username, "password": "correct-horse"})
        sio = socketio.test_client(app, flask_test_client=http)
        assert sio.is_connected()
        sio.get_received()
        sockets.append(sio)
        return http, sio

    yield open_
    for sio in sockets:
        if sio.is_connected():
            sio.disconnect()


def test_logout_disconnects_the_sockets_of_that_sign_in_only(open_socket):
    http, laptop = open_socket("ayse")
    _, phone = open_socket("ayse")
    _, admin = open_socket("admin")

    http.post("/auth/logout")

    assert not laptop.is_connected()
    assert events_of(laptop) == [("session_ended", {"reason": "signed_out"})]
    assert phone.is_connected() and admin.is_connected()
    assert phone.get_received() == [] and admin.get_received() == []


def test_a_password_reset_by_an_admin_disconnects_every_socket_of_that_user(open_socket, users):
    admin_http, admin = open_socket("admin")
    _, laptop = open_socket("ayse")
    _, phone = open_socket("ayse")
    data = {"password": "a-new-password", "confirm": "a-new-password"}

    admin_http.post(f"/admin/users/{users['ayse']}/password", data=data)

    for sio in (laptop, phone):
        assert not sio.is_connected()
        assert events_of(sio) == [("session_ended", {"reason": "password_changed"})]
    assert admin.is_connected()


def test_deactivation_disconnects_the_users_sockets(open_socket, users):
    admin_http, _ = open_socket("admin")
    _, staff = open_socket("mehmet")
    admin_http.post(f"/admin/users/{users['mehmet']}/deactivate")
    assert not staff.is_connected()
    assert events_of(staff) == [("session_ended", {"reason": "deactivated"})]


def test_a_password_change_keeps_the_current_sign_in_and_disconnects_the_others(
    app, open_socket, users
):
    http, here = open_socket("ayse")
    _, elsewhere = open_socket("ayse")
    with http.session_transaction() as sess:
        current = int(sess["_user_id"].partition(":")[0])
    with app.app_context():
        user = db.session.get(User, users["ayse"])
        renewed = accounts.change_password(
            user, "correct-horse", "a-new-password", keep_session=current
        )
        db.session.commit()
    assert renewed is not None
    assert not elsewhere.is_connected()
    # The page of the kept sign-in reconnects under its re-issued id (it reloads on the event).
    assert events_of(here) == [("session_ended", {"reason": "password_changed"})]


def test_a_cookie_replayed_after_logout_cannot_open_a_socket(app, open_socket):
    http, sio = open_socket("admin")
    cookie = http.get_cookie("session").value
    http.post("/auth/logout")
    replayed = app.test_client()
    replayed.set_cookie("session", cookie)
    assert not socketio.test_client(app, flask_test_client=replayed).is_connected()
    assert not sio.is_connected()


# --- across processes, through Redis ----------------------------------------------------------


def signed_in_session(url: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{url}/auth/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = session.post(
        f"{url}/auth/login",
        data={"username": username, "password": "correct-horse", "csrf_token": token},
    )
    assert response.url.endswith("/facebook-leads/my-day"), username
    return session


def connect(url: str, session: requests.Session):
    client, seen, ended = socketio_client.Client(reconnection=False), [], threading.Event()
    client.on("session_ended", lambda data: seen.append(("session_ended", data["reason"])))

    @client.event
    def disconnect(reason=None):
        seen.append(("disconnect", None))
        ended.set()

    client.connect(
        url,
        headers={
            "Cookie": f"session={session.cookies['session']}",
            "User-Agent": session.headers["User-Agent"],
        },
        transports=["websocket"],
        wait_timeout=10,
    )
    return client, seen, ended


@pytest.fixture(params=["sqlite"])
def database(request):
    return request.param


@pytest.mark.skipif(not redis_available(), reason="needs a Redis server (TEST_REDIS_URL)")
def test_signing_a_user_out_from_another_process_disconnects_their_sockets_through_redis():
    channel = f"mld-test-{uuid.uuid4().hex}"
    config = config_for(
        "sqlite", REDIS_URL=REDIS_URL, SOCKETIO_CHANNEL=channel, WTF_CSRF_ENABLED=True
    )
    app = create_app(config)
    with app.app_context():
        reset_schema()
        factories.make_user("admin", role=Role.SUPERADMIN)
        factories.make_user("ayse")
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    clients = []
    try:
        admin, admin_seen, admin_ended = connect(url, signed_in_session(url, "admin"))
        ayse, _, ayse_ended = connect(url, signed_in_session(url, "ayse"))
        clients += [admin, ayse]
        env = os.environ | {
            "FLASK_APP": "wsgi.py",
            "APP_ENV": "development",
            "DATABASE_URL": config.SQLALCHEMY_DATABASE_URI,
            "REDIS_URL": REDIS_URL,
            "SOCKETIO_CHANNEL": channel,
            "SECRET_KEY": config.SECRET_KEY,
            "TOKEN_ENCRYPTION_KEYS": config.TOKEN_ENCRYPTION_KEYS,
            "META_SANDBOX": "0",
            "SCHEDULER_ENABLED": "0",
            "WEBHOOK_WORKER": "0",
        }
        result = subprocess.run(
            [str(Path(sys.executable).parent / "flask"), "users", "sign-out", "admin"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert admin_ended.wait(timeout=10), admin_seen
        assert admin_seen == [("session_ended", "signed_out"), ("disconnect", None)]
        assert not ayse_ended.is_set() and ayse.connected
    finally:
        for client in clients:
            client.disconnect()
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()
