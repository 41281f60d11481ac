"""Production configuration that cannot be half right: what the app refuses to start with,
what `wsgi:app` needs, and what production adds (HSTS, ProxyFix, a private SQLite file)."""

import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from app import create_app
from app.extensions import db
from config import BASE_DIR, Config, ConfigError
from tests import factories
from tests.conftest import config_for, reset_schema

ROOT = Path(__file__).resolve().parents[1]
KEY = Fernet.generate_key().decode()
GOOD = {
    "SECRET_KEY": "s" * 32,
    "TOKEN_ENCRYPTION_KEYS": KEY,
    "PRIVACY_HASH_KEYS": "p" * 32,
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
}


def config(**values) -> type[Config]:
    return type("Configured", (Config,), GOOD | values)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"ENV_NAME": "staging"}, "APP_ENV must be one of development, testing, production"),
        ({"ENV_NAME": "production", "META_SANDBOX": True}, "META_SANDBOX=1 is refused"),
        ({"ENV_NAME": "production", "SECRET_KEY": ""}, "must be set in production"),
        ({"ENV_NAME": "production", "TOKEN_ENCRYPTION_KEYS": ""}, "must be set in production"),
        ({"ENV_NAME": "production", "PRIVACY_HASH_KEYS": ""}, "PRIVACY_HASH_KEYS must be set"),
        ({"SECRET_KEY": "s" * 31}, "at least 32 bytes"),
        ({"ENV_NAME": "production", "SECRET_KEY": "short"}, "at least 32 bytes"),
        ({"TOKEN_ENCRYPTION_KEYS": "not-a-fernet-key"}, "key 1 is not a Fernet key"),
        ({"TOKEN_ENCRYPTION_KEYS": f"{KEY}, {KEY[:-2]}"}, "key 2 is not a Fernet key"),
        ({"TOKEN_ENCRYPTION_KEYS": " , "}, "holds no key"),
        ({"TRUSTED_PROXIES": -1}, "TRUSTED_PROXIES"),
    ],
)
def test_the_app_refuses_to_start_with_a_configuration_that_is_half_right(values, message):
    with pytest.raises(ConfigError, match=message):
        create_app(config(**values))


@pytest.mark.parametrize("env", ["development", "testing"])
def test_the_sandbox_is_allowed_outside_production(env):
    app = create_app(config(ENV_NAME=env, META_SANDBOX=True))
    assert app.config["META_SANDBOX"] is True


def test_a_production_app_with_real_secrets_starts_and_sends_hsts():
    app = create_app(config(ENV_NAME="production"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_no_hsts_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


# --- behind a proxy -----------------------------------------------------------------------


@pytest.fixture
def limited(database):
    """Apps with a login limit of 2 a minute and TRUSTED_PROXIES as asked (engines disposed)."""
    made = []

    def build(proxies: int):
        app = create_app(
            config_for(
                database,
                TRUSTED_PROXIES=proxies,
                RATELIMIT_ENABLED=True,
                LOGIN_RATE_LIMIT="2 per minute",
            )
        )
        with app.app_context():
            reset_schema()
        made.append(app)
        return app

    yield build
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def login_attempt(client, forwarded_for: str):
    return client.post(
        "/auth/login",
        data={"username": f"u{forwarded_for}", "password": "x"},
        headers={"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https"},
    )


def test_behind_one_trusted_proxy_each_client_address_has_its_own_rate_limit(limited):
    client = limited(proxies=1).test_client()
    for n in range(3):  # three people behind the same proxy: 2 attempts each
        for _ in range(2):
            assert login_attempt(client, f"203.0.113.{n}").status_code == 200
    assert login_attempt(client, "203.0.113.0").status_code == 429
    page = client.get("/auth/login", headers={"X-Forwarded-Proto": "https"})
    assert "connect-src 'self' wss://localhost;" in page.headers["Content-Security-Policy"]


def test_without_trusted_proxies_forwarded_headers_are_ignored(limited):
    client = limited(proxies=0).test_client()
    assert login_attempt(client, "203.0.113.1").status_code == 200
    assert login_attempt(client, "203.0.113.2").status_code == 200
    assert (
        login_attempt(client, "203.0.113.3").status_code == 429
    )  # a forged header changes nothing
    page = client.get("/auth/login", headers={"X-Forwarded-Proto": "https"})
    assert "connect-src 'self' ws://localhost;" in page.headers["Content-Security-Policy"]


# --- the SQLite file ----------------------------------------------------------------------


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_file_is_created_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "data" / "leads.sqlite"
    old_umask = os.umask(0o022)
    try:
        app = create_app(config(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}"))
    finally:
        os.umask(old_umask)
    assert mode_of(path) == 0o600
    with app.app_context():
        db.create_all()
        factories.make_distributor()
        db.session.commit()
        assert (path.parent / "leads.sqlite-wal").exists()
        for suffix in ("", "-wal", "-shm"):
            assert mode_of(path.parent / f"leads.sqlite{suffix}") == 0o600, suffix
        db.engine.dispose()


# --- wsgi.py under a server, the CLI and `python wsgi.py` -----------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("APP_ENV", "FLASK_RUN_FROM_CLI")}
    return env | {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
        "SECRET_KEY": "s" * 32,
        "TOKEN_ENCRYPTION_KEYS": KEY,
        "PRIVACY_HASH_KEYS": "p" * 32,
        "META_SANDBOX": "0",
        "SCHEDULER_ENABLED": "0",
        "WEBHOOK_WORKER": "0",
        "FLASK_APP": "wsgi.py",
        **values,
    }


def gunicorn(env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).parent / "gunicorn"), "-w", "1", "-b", "127.0.0.1:0"]
    return subprocess.run(
        [*command, "wsgi:app"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


needs_no_dotenv_app_env = pytest.mark.skipif(
    (BASE_DIR / ".env").exists() and "APP_ENV" in (BASE_DIR / ".env").read_text(),
    reason=".env sets APP_ENV",
)


@needs_no_dotenv_app_env
def test_gunicorn_refuses_wsgi_app_without_app_env(tmp_path):
    result = gunicorn(environment(tmp_path))
    assert result.returncode != 0
    assert "APP_ENV is not set" in result.stderr


def test_gunicorn_refuses_the_sandbox_in_production(tmp_path):
    result = gunicorn(environment(tmp_path, APP_ENV="production", META_SANDBOX="1"))
    assert result.returncode != 0
    assert "META_SANDBOX=1 is refused in production" in result.stderr


@needs_no_dotenv_app_env
def test_the_flask_cli_needs_no_app_env(tmp_path):
    result = subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "routes"],
        cwd=ROOT,
        env=environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "/facebook-leads/" in result.stdout


@needs_no_dotenv_app_env
def test_python_wsgi_py_serves_without_app_env(tmp_path):
    port = free_port()
    env = environment(tmp_path, HOST="127.0.0.1", PORT=str(port))
    process = subprocess.Popen(
        [sys.executable, "wsgi.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None, "python wsgi.py exited"
                time.sleep(0.2)
        assert response.json()["status"] == "ok"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_wsgi_keeps_start_up_objects_out_of_the_garbage_collectors_passes(tmp_path):
    script = "import gc, wsgi; print(gc.get_freeze_count())"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment(tmp_path, APP_ENV="development"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[-1]) > 50_000  # the app's ~180,000, not a handful
