"""`flask seed demo`, the sandbox's demo data (registered by the development entry point)."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, MetaApiConfig, User
from sandbox.cli import register_cli


@pytest.fixture
def runner(app):
    register_cli(app)
    return app.test_cli_runner()


def invoke(runner, *args):
    return runner.invoke(args=list(args), catch_exceptions=False)


def test_seed_demo_is_idempotent_and_prints_the_superadmin(runner, app, monkeypatch, tmp_path):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    first = invoke(runner, "seed", "demo")
    second = invoke(runner, "seed", "demo")
    assert "Demo superadmin: admin / " in first.output
    assert first.output == second.output
    password = (tmp_path / "demo_admin_password").read_text()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MetaApiConfig)) == 1
        assert db.session.scalar(sa.select(User).where(User.username == "admin")).check_password(
            password
        )


def test_seed_demo_with_leads_bulk_inserts_them(runner, app, monkeypatch, tmp_path):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    result = invoke(runner, "seed", "demo", "--leads", "300")
    assert "Inserted 300 generated leads" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FacebookLead)) == 300
