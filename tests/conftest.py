"""Shared fixtures. DB tests run on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set."""

import os
import tempfile
from pathlib import Path

import pytest

from app import create_app
from app.database import may_write
from app.extensions import db
from app.models import Role
from config import TestConfig
from tests import factories
from tests.schema import reset_schema

pytest_plugins = ["tests.sandbox.fixtures", "tests.fault_proxy", "tests.mail_server"]

DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def pytest_configure(config) -> None:
    """Under pytest-xdist (`make test PYTEST_ARGS="-n 2"`) each worker gets a PostgreSQL
    database of its own, TEST_DATABASE_URL's name + `_gw0`, `_gw1`…, created afresh."""
    worker, url = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get("TEST_DATABASE_URL")
    if not worker or not url or url.endswith(f"_{worker}"):
        return
    import psycopg
    import sqlalchemy as sa

    base = sa.make_url(url)
    name = f"{base.database}_{worker}"
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["TEST_DATABASE_URL"] = base.set(database=name).render_as_string(hide_password=False)


def config_for(database: str, **overrides) -> type[TestConfig]:
    if database == "postgresql":
        uri = os.environ["TEST_DATABASE_URL"]
    else:
        uri = f"sqlite:///{Path(tempfile.mkdtemp(prefix='mld-')) / 'test.sqlite'}"
    return type("BoundTestConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri, **overrides})


@pytest.fixture(params=DATABASES)
def database(request) -> str:
    return request.param


@pytest.fixture
def app_config(database):
    """Override in a test module to change settings: return a dict of config values."""
    return {}


@pytest.fixture
def app(database, app_config):
    app = create_app(config_for(database, **app_config))
    with app.app_context():
        reset_schema()
    # Test code reads between steps; on SQLite a write-ready BEGIN IMMEDIATE left open by such
    # a read would block the threads a test starts. App code paths set their own mode.
    token = may_write.set(False)
    yield app
    may_write.reset(token)
    app.extensions["task_runner"].shutdown()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username="admin", password="correct-horse"):
        return self._client.post("/auth/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def users(app):
    """A superadmin `admin` and staff `ayse`, `mehmet`; all with password correct-horse."""
    with app.app_context():
        made = {
            "admin": factories.make_user("admin", role=Role.SUPERADMIN),
            "ayse": factories.make_user("ayse"),
            "mehmet": factories.make_user("mehmet"),
        }
        db.session.commit()
        return {name: user.id for name, user in made.items()}
