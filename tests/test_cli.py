"""The CLI as DESIGN.md names it, run through Flask's CLI runner."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Distributor, FacebookLead, MetaApiConfig, MetaForm, Role, User
from config import Config
from sandbox import DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN


@pytest.fixture
def app_config(sandbox):
    # Passwords hashed as in production (scrypt), not with the suite's cheap hash.
    return {
        "META_GRAPH_URL": sandbox.graph_url,
        "PASSWORD_HASH_METHOD": Config.PASSWORD_HASH_METHOD,
    }


def invoke(runner, *args):
    return runner.invoke(args=list(args), catch_exceptions=False)


def test_users_create_makes_a_superadmin_with_a_hashed_password(runner, app):
    result = invoke(
        runner, "users", "create", "boss", "--role", "superadmin", "--password", "s3cret-pass"
    )
    assert result.exit_code == 0 and "Created superadmin 'boss'" in result.output
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user.role == Role.SUPERADMIN and user.password_hash.startswith("scrypt:")
        assert user.check_password("s3cret-pass")


def test_users_create_refuses_a_taken_name_and_a_short_password(runner):
    invoke(runner, "users", "create", "boss", "--password", "s3cret-pass")
    taken = invoke(runner, "users", "create", "boss", "--password", "s3cret-pass")
    short = invoke(runner, "users", "create", "other", "--password", "short")
    assert taken.exit_code == 1 and "already exists" in taken.output
    assert short.exit_code == 1 and "at least 8" in short.output


def test_users_create_with_a_language(runner, app):
    result = invoke(
        runner, "users", "create", "ayse", "--password", "s3cret-pass", "--language", "tr"
    )
    assert result.exit_code == 0
    unknown = runner.invoke(args=["users", "create", "x", "--password", "pw", "--language", "de"])
    assert unknown.exit_code == 2 and "'de' is not one of 'tr', 'en', 'ar'" in unknown.output
    short = invoke(runner, "users", "create", "other", "--password", "short", "--language", "tr")
    assert "Password must be at least 8 characters." in short.output  # DEFAULT_LOCALE (en here)
    with app.app_context():
        assert db.session.scalar(sa.select(User.language).where(User.username == "ayse")) == "tr"


def test_distributors_create_with_the_language_of_its_mails(runner, app):
    assert invoke(runner, "distributors", "create", "Gulf", "--language", "ar").exit_code == 0
    with app.app_context():
        assert db.session.scalar(sa.select(Distributor.language)) == "ar"


def test_distributors_create(runner, app):
    assert invoke(runner, "distributors", "create", "MSH Med Tour").exit_code == 0
    with app.app_context():
        assert db.session.scalar(sa.select(Distributor.name)) == "MSH Med Tour"


def add_config(runner, sandbox, *extra):
    invoke(runner, "distributors", "create", "MSH")
    forms = [arg for form in sandbox.state.form_ids() for arg in ("--form-id", form)]
    return invoke(
        runner,
        "meta",
        "add-config",
        "--distributor",
        "MSH",
        "--page-id",
        DEFAULT_PAGE_ID,
        *forms,
        "--token",
        DEFAULT_PAGE_TOKEN,
        *extra,
    )


def test_add_config_stores_the_token_encrypted_and_the_forms(runner, app, sandbox):
    result = add_config(runner, sandbox, "--interval", "10")
    assert result.exit_code == 0 and "with 3 form(s)" in result.output
    assert DEFAULT_PAGE_TOKEN not in result.output
    with app.app_context():
        config = db.session.scalar(sa.select(MetaApiConfig))
        assert config.fetch_interval_minutes == 10
        assert DEFAULT_PAGE_TOKEN not in config.access_token_encrypted
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MetaForm)) == 3


def test_add_config_rejects_unknown_distributor_and_bad_ids(runner, sandbox):
    unknown = invoke(
        runner,
        "meta",
        "add-config",
        "--distributor",
        "nope",
        "--page-id",
        "1",
        "--form-id",
        "2",
        "--token",
        "t",
    )
    invoke(runner, "distributors", "create", "MSH")
    bad = invoke(
        runner,
        "meta",
        "add-config",
        "--distributor",
        "MSH",
        "--page-id",
        "abc",
        "--form-id",
        "2",
        "--token",
        "t",
    )
    assert unknown.exit_code == 1 and "No distributor" in unknown.output
    assert bad.exit_code == 1 and "numeric" in bad.output


def test_meta_sync_prints_one_summary_line_per_form(runner, app, sandbox):
    add_config(runner, sandbox)
    result = invoke(runner, "meta", "sync")
    form_lines = [line for line in result.output.splitlines() if " form " in line]
    assert len(form_lines) == 3
    assert all("created=40" in line and "ok" in line for line in form_lines)
    again = invoke(runner, "meta", "sync", "--config", "1")
    lines = [line for line in again.output.splitlines() if " form " in line]
    # a lead seen again and a person asking again are different things: counted apart
    assert all("created=0" in line and "already_stored=" in line for line in lines)
    assert all("reinquiries=0" in line and "duplicates=" not in line for line in lines)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FacebookLead)) == 120


def test_meta_sync_without_configs_says_what_to_do(runner):
    assert "flask meta add-config" in invoke(runner, "meta", "sync").output


def test_rotate_keys_keeps_every_token_readable(runner, app, sandbox):
    from cryptography.fernet import Fernet

    from app.services import meta_configs

    add_config(runner, sandbox)
    old_key = app.config["TOKEN_ENCRYPTION_KEYS"]
    app.config["TOKEN_ENCRYPTION_KEYS"] = f"{Fernet.generate_key().decode()},{old_key}"
    assert "Re-encrypted 1 token(s)" in invoke(runner, "meta", "rotate-keys").output
    app.config["TOKEN_ENCRYPTION_KEYS"] = app.config["TOKEN_ENCRYPTION_KEYS"].split(",")[0]
    with app.app_context():
        assert (
            meta_configs.read_token(db.session.scalar(sa.select(MetaApiConfig)))
            == DEFAULT_PAGE_TOKEN
        )
