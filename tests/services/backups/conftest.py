"""A source database built by migrations (backups carry its alembic revision) and a fresh,
empty target database to restore into: a second SQLite file, or a second PostgreSQL database
named after TEST_DATABASE_URL's with `_restore` appended (dropped afterwards)."""

import os
import shutil

import flask_migrate
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from app import create_app
from app.database import empty_database
from app.extensions import db
from tests.conftest import config_for


@pytest.fixture
def app_config(tmp_path):
    return {"BACKUP_DIR": str(tmp_path / "backups")}


@pytest.fixture
def migrated(app):
    """The app's database built by `flask db upgrade` (so it has an alembic_version)."""
    with app.app_context():
        empty_database()
        flask_migrate.upgrade()
    return app


@pytest.fixture
def pg_tools(database):
    if database == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore are not installed (apt-get install postgresql-client)")


@pytest.fixture
def fresh_url(database, tmp_path):
    if database == "sqlite":
        (tmp_path / "restored").mkdir()
        yield f"sqlite:///{tmp_path / 'restored' / 'restored.sqlite'}"
        return
    url = sa.make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{url.database}_restore"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def target(database, fresh_url, app_config, pg_tools):
    """A second app on the fresh, empty database (same BACKUP_DIR as the source app)."""
    app = create_app(config_for(database, SQLALCHEMY_DATABASE_URI=fresh_url, **app_config))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def restore(app, path, *args):
    return app.test_cli_runner().invoke(args=["backup", "restore", str(path), *args])
