"""Two app servers (gunicorn) on one PostgreSQL and one Redis, both running the scheduler, as
README "More than one server" deploys them: a signed webhook posted to the first reaches a
Socket.IO client of the second, each form is polled once per interval, and a webhook event
is fetched by one of them only."""

import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
import requests
import socketio
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import FacebookLead, MetaWebhookEvent, Role, SyncRun
from app.services import meta_configs
from sandbox import DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN, sign_body, webhook_change
from sandbox.webhooks import webhook_payload
from tests import factories
from tests.conftest import config_for, reset_schema
from tests.events.test_redis_queue import redis_available
from tests.mail_server import free_port
from tests.sandbox.fixtures import SANDBOX_APP_SECRET

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BASE_URL = os.environ.get("TEST_DATABASE_URL", "")

pytestmark = pytest.mark.postgres


needs_services = pytest.mark.skipif(
    not BASE_URL.startswith("postgresql") or not redis_available(),
    reason="needs PostgreSQL (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL)",
)


@pytest.fixture
def database_url():
    """A database of this test's own, so the servers' schedulers see nothing of the others'."""
    url = sa.make_url(BASE_URL)
    name = f"{url.database}_servers"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with closing(psycopg.connect(admin, autocommit=True)) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with closing(psycopg.connect(admin, autocommit=True)) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_server(env: dict, port: int, log: Path) -> subprocess.Popen:
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-w", "1", "--threads", "32"]
            + ["-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=output,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                return server
        except requests.RequestException:
            pass
        if server.poll() is not None:
            raise AssertionError(f"server on {port} exited: {log.read_text()[-2000:]}")
        time.sleep(0.3)
    server.kill()
    raise AssertionError(f"server on {port} did not answer /healthz")


def sign_in(url: str) -> requests.Session:
    session = requests.Session()
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"',
        session.get(f"{url}/auth/login").text,
    ).group(1)
    answer = session.post(
        f"{url}/auth/login",
        data={"username": "admin", "password": "correct-horse", "csrf_token": token},
    )
    assert answer.ok and "session" in session.cookies
    return session


def runs_per_form(app) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(SyncRun.form_id, sa.func.count()).group_by(SyncRun.form_id)
        ).all()
        db.session.remove()
    return dict(rows)


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@needs_services
def test_two_servers_share_one_database_and_one_message_queue(sandbox, database_url, tmp_path):
    channel = f"mld-servers-{uuid.uuid4().hex}"
    config = config_for("postgresql", SQLALCHEMY_DATABASE_URI=database_url)
    app = create_app(config)
    forms = sandbox.state.form_ids()
    with app.app_context():
        reset_schema()
        factories.make_user("admin", role=Role.SUPERADMIN)
        meta_configs.add_config(
            factories.make_distributor(),
            page_id=DEFAULT_PAGE_ID,
            form_ids=forms,
            token=DEFAULT_PAGE_TOKEN,
            interval_minutes=5,
        )
        db.session.commit()
    env = os.environ | {
        "APP_ENV": "development",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "SOCKETIO_CHANNEL": channel,
        "META_GRAPH_URL": sandbox.graph_url,
        "META_APP_SECRET": SANDBOX_APP_SECRET,
        "SECRET_KEY": config.SECRET_KEY,
        "TOKEN_ENCRYPTION_KEYS": config.TOKEN_ENCRYPTION_KEYS,
        "META_SANDBOX": "0",
        "SCHEDULER_ENABLED": "1",
        "WEBHOOK_WORKER": "1",
        "DEFAULT_LOCALE": "en",
    }
    ports = free_port(), free_port()
    servers = [start_server(env, ports[0], tmp_path / "first.log")]
    client = socketio.Client(reconnection=False)
    try:
        # The first server's scheduler polls every form at start (a backfill).
        wait_for(lambda: len(runs_per_form(app)) == len(forms), 60, "the first poll")
        servers.append(start_server(env, ports[1], tmp_path / "second.log"))
        time.sleep(6)  # the second server's scheduler fires its first poll two seconds in
        assert runs_per_form(app) == {form: 1 for form in forms}

        first, second = (f"http://127.0.0.1:{port}" for port in ports)
        arrived, got = [], threading.Event()

        def on_created(data):
            arrived.append(data["id"])
            got.set()

        client.on("lead_created", on_created)
        session = sign_in(second)
        client.connect(
            second,
            headers={
                "Cookie": f"session={session.cookies['session']}",
                "User-Agent": session.headers["User-Agent"],
            },
            transports=["websocket"],
            wait_timeout=10,
        )
        lead = sandbox.state.add_leads(forms[0], 1)[0]
        body_payload = webhook_payload([webhook_change(lead, DEFAULT_PAGE_ID)])
        body = json.dumps(body_payload).encode()
        answer = requests.post(
            f"{first}/webhooks/meta",
            data=body,
            headers={
                "X-Hub-Signature-256": sign_body(SANDBOX_APP_SECRET, body)[0],
                "Content-Type": "application/json",
            },
            timeout=10,
        )
        assert answer.status_code == 200
        assert got.wait(timeout=15), "the webhook's lead never reached the other server"
        with app.app_context():
            stored = db.session.scalars(
                sa.select(FacebookLead).where(FacebookLead.meta_lead_id == lead["id"])
            ).all()
            events = db.session.scalars(sa.select(MetaWebhookEvent)).all()
            assert [row.id for row in stored] == arrived
            assert len(events) == 1 and events[0].attempts == 1
            db.session.remove()
    finally:
        client.disconnect()
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        with app.app_context():
            db.engine.dispose()
