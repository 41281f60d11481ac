"""With REDIS_URL set, a sync in another process (the CLI) reaches browsers of the server."""

import os
import re
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import redis
import requests
import socketio
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.models import Role
from app.services import meta_configs
from sandbox import DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN
from tests import factories
from tests.conftest import config_for, reset_schema

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_available() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.fixture(params=["sqlite"])
def database(request):
    return request.param


@pytest.mark.skipif(not redis_available(), reason="needs a Redis server (TEST_REDIS_URL)")
def test_a_cli_sync_in_another_process_reaches_the_browser_through_redis(sandbox):
    channel = f"mld-test-{uuid.uuid4().hex}"
    config = config_for(
        "sqlite",
        REDIS_URL=REDIS_URL,
        SOCKETIO_CHANNEL=channel,
        META_GRAPH_URL=sandbox.graph_url,
        WTF_CSRF_ENABLED=True,
    )
    app = create_app(config)
    with app.app_context():
        reset_schema()
        factories.make_user("admin", role=Role.SUPERADMIN)
        meta_configs.add_config(
            factories.make_distributor(),
            page_id=DEFAULT_PAGE_ID,
            form_ids=sandbox.state.form_ids(),
            token=DEFAULT_PAGE_TOKEN,
        )
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    client, received, done = socketio.Client(reconnection=False), [], threading.Event()

    def on_created(data):
        received.append(data["id"])
        if len(received) == 120:
            done.set()

    client.on("lead_created", on_created)
    try:
        session = requests.Session()
        token = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"',
            session.get(f"{url}/auth/login").text,
        ).group(1)
        session.post(
            f"{url}/auth/login",
            data={"username": "admin", "password": "correct-horse", "csrf_token": token},
        )
        client.connect(
            url,
            headers={
                "Cookie": f"session={session.cookies['session']}",
                "User-Agent": session.headers["User-Agent"],
            },
            transports=["websocket"],
            wait_timeout=10,
        )
        env = os.environ | {
            "FLASK_APP": "wsgi.py",
            "APP_ENV": "development",
            "DATABASE_URL": config.SQLALCHEMY_DATABASE_URI,
            "REDIS_URL": REDIS_URL,
            "SOCKETIO_CHANNEL": channel,
            "META_GRAPH_URL": sandbox.graph_url,
            "SECRET_KEY": config.SECRET_KEY,
            "TOKEN_ENCRYPTION_KEYS": config.TOKEN_ENCRYPTION_KEYS,
            "META_SANDBOX": "0",
            "SCHEDULER_ENABLED": "0",
            "WEBHOOK_WORKER": "0",
            "META_APP_SECRET": "sandbox-app-secret",
        }
        result = subprocess.run(
            [str(Path(sys.executable).parent / "flask"), "meta", "sync"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert done.wait(timeout=15), f"only {len(received)} of 120 lead_created events arrived"
        assert len(set(received)) == 120
    finally:
        client.disconnect()
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()
