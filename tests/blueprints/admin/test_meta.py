"""Admin pages for Meta connections, sync health, and token health with real emails."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    ConfigStatus,
    FacebookLead,
    FailedLead,
    MetaApiConfig,
    MetaForm,
    MetaWebhookEvent,
    SyncRun,
    WebhookEventStatus,
)
from app.services import meta_configs
from app.tasks import jobs, mail_jobs
from sandbox import DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN, SANDBOX_APP_ID
from sandbox.state import DEFAULT_PAGE_NAME
from tests import factories
from tests.sandbox.fixtures import SANDBOX_APP_SECRET


@pytest.fixture
def app_config(sandbox, smtp):
    return {
        "META_GRAPH_URL": sandbox.graph_url,
        "META_APP_SECRET": SANDBOX_APP_SECRET,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp.port,
        "MAIL_SUPPRESS_SEND": False,
    }


@pytest.fixture
def admin(client, auth, users, app):
    with app.app_context():
        user = db.session.get(factories.User, users["admin"])
        user.email = "boss@example.com"
        db.session.commit()
    auth.login("admin")
    return client


@pytest.fixture
def config_id(app, sandbox):
    with app.app_context():
        config = meta_configs.add_config(
            factories.make_distributor("MSH"),
            page_id=DEFAULT_PAGE_ID,
            form_ids=[],
            token=DEFAULT_PAGE_TOKEN,
        )
        db.session.commit()
        return config.id


def test_admin_meta_pages_refuse_staff(app, client, auth, users, config_id):
    auth.login("ayse")
    for path in (
        "/admin/configs",
        "/admin/configs/new",
        f"/admin/configs/{config_id}/edit",
        f"/admin/configs/{config_id}/forms",
        "/admin/health",
    ):
        assert client.get(path).status_code == 403, path
    for path in (f"/admin/configs/{config_id}/forms", f"/admin/configs/{config_id}/test"):
        assert client.post(path).status_code == 403, path


def test_connecting_a_page_stores_the_token_encrypted_and_never_shows_it(app, admin, sandbox):
    with app.app_context():
        distributor = factories.make_distributor("MSH")
        db.session.commit()
        distributor_id = distributor.id
    response = admin.post(
        "/admin/configs/new",
        data={
            "distributor_id": distributor_id,
            "page_id": DEFAULT_PAGE_ID,
            "token": DEFAULT_PAGE_TOKEN,
            "interval": 5,
            "is_active": "y",
        },
    )
    assert response.status_code == 303 and "/forms" in response.headers["Location"]
    with app.app_context():
        dump = "\n".join(
            str(tuple(r)) for r in db.session.execute(sa.text("SELECT * FROM meta_api_configs"))
        )
        config_id = db.session.scalar(sa.select(MetaApiConfig.id))
    assert DEFAULT_PAGE_TOKEN not in dump
    for path in ("/admin/configs", f"/admin/configs/{config_id}/edit"):
        page = admin.get(path).get_data(as_text=True)
        assert DEFAULT_PAGE_TOKEN not in page
        assert "…oken" not in page  # no fragment of a short token reads as a word (issue 14)
        assert f"set, {len(DEFAULT_PAGE_TOKEN)} characters" in page


def test_the_connections_list_names_the_page_from_graph(app, admin, sandbox):
    """Issue 14, item 3: the Page by its name (Graph's page info, read when the connection is
    made and again when it is tested), its id folded into the details."""
    with app.app_context():
        distributor = factories.make_distributor("MSH")
        db.session.commit()
        distributor_id = distributor.id
    admin.post(
        "/admin/configs/new",
        data={
            "distributor_id": distributor_id,
            "page_id": DEFAULT_PAGE_ID,
            "token": DEFAULT_PAGE_TOKEN,
            "interval": 5,
            "is_active": "y",
        },
    )
    with app.app_context():
        config = db.session.scalar(sa.select(MetaApiConfig))
        assert config.page_name == DEFAULT_PAGE_NAME
        config.page_name = None  # as connections made before this change
        db.session.commit()
        config_id = config.id
    page = admin.get("/admin/configs").get_data(as_text=True)
    assert f"<bdi>{DEFAULT_PAGE_NAME}</bdi>" not in page
    admin.post(f"/admin/configs/{config_id}/test")
    page = admin.get("/admin/configs").get_data(as_text=True)
    assert f"<bdi>{DEFAULT_PAGE_NAME}</bdi>" in page
    details = page[page.index("<details") : page.index("</details>")]
    assert DEFAULT_PAGE_ID in details


def test_editing_without_a_token_keeps_it_and_a_new_token_clears_needs_reauth(
    app, admin, config_id
):
    with app.app_context():
        db.session.get(MetaApiConfig, config_id).status = ConfigStatus.NEEDS_REAUTH
        db.session.commit()
    admin.post(
        f"/admin/configs/{config_id}/edit", data={"interval": 10, "is_active": "y", "token": ""}
    )
    with app.app_context():
        config = db.session.get(MetaApiConfig, config_id)
        assert config.fetch_interval_minutes == 10 and config.status == ConfigStatus.NEEDS_REAUTH
        assert meta_configs.read_token(config) == DEFAULT_PAGE_TOKEN
    admin.post(
        f"/admin/configs/{config_id}/edit",
        data={"interval": 10, "is_active": "y", "token": "new-token-1234"},
    )
    with app.app_context():
        config = db.session.get(MetaApiConfig, config_id)
        assert (
            config.status == ConfigStatus.OK and meta_configs.read_token(config) == "new-token-1234"
        )


def test_form_discovery_lists_meta_forms_and_saves_the_selection(app, admin, config_id, sandbox):
    calls = len(sandbox.state.requests_log)
    page = admin.get(f"/admin/configs/{config_id}/forms").get_data(as_text=True)
    assert len(sandbox.state.requests_log) == calls  # a GET never calls Meta
    assert "Load the forms from Meta" in page
    discover = {"discover": "Load the forms from Meta"}
    page = admin.post(f"/admin/configs/{config_id}/forms", data=discover).get_data(as_text=True)
    forms = sandbox.state.form_ids()
    assert all(form_id in page for form_id in forms) and "Hair Transplant" in page
    admin.post(f"/admin/configs/{config_id}/forms", data={"form_id": forms[:2]})
    with app.app_context():
        selected = db.session.scalars(sa.select(MetaForm).order_by(MetaForm.form_id)).all()
        assert [(f.form_id, f.is_active) for f in selected] == [(forms[0], True), (forms[1], True)]
        assert selected[0].leads_count_on_meta == 40 and selected[0].questions
    admin.post(f"/admin/configs/{config_id}/forms", data={"form_id": forms[1:]})
    with app.app_context():
        states = dict(db.session.execute(sa.select(MetaForm.form_id, MetaForm.is_active)).all())
        assert states == {forms[0]: False, forms[1]: True, forms[2]: True}


def test_test_connection_explains_a_good_and_a_revoked_token(app, admin, config_id, sandbox):
    app.config["META_APP_ID"] = SANDBOX_APP_ID
    assert admin.get(f"/admin/configs/{config_id}/test").status_code == 405  # never a GET
    page = admin.post(f"/admin/configs/{config_id}/test").get_data(as_text=True)
    assert "Valid page token with the lead permissions" in page and "Problem" not in page
    sandbox.state.revoke_token(DEFAULT_PAGE_TOKEN)
    page = admin.post(f"/admin/configs/{config_id}/test").get_data(as_text=True)
    assert "no longer valid: paste a new Page access token" in page


def test_sync_now_runs_in_the_background_and_health_shows_reconciliation(
    app, admin, config_id, sandbox
):
    admin.post(f"/admin/configs/{config_id}/forms", data={"form_id": sandbox.state.form_ids()[:1]})
    response = admin.post(f"/admin/configs/{config_id}/sync")
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/health")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with app.app_context():
            if (
                db.session.scalar(sa.select(SyncRun.status).where(SyncRun.config_id == config_id))
                == "ok"
            ):
                break
        time.sleep(0.05)
    page = admin.get("/admin/health").get_data(as_text=True)
    assert "all stored" in page and ">40<" in page
    with app.app_context():  # a lead vanishes locally: the reconciliation warns
        db.session.execute(sa.delete(FacebookLead).where(FacebookLead.id == 1))
        db.session.commit()
    page = admin.get("/admin/health").get_data(as_text=True)
    assert "1 lead Meta reports is not here" in page


def test_failed_leads_are_listed_and_retry_stores_them(app, admin, config_id):
    with app.app_context():
        good = {
            "id": "1700000000000777",
            "created_time": "2026-11-01T10:00:00+0000",
            "field_data": [{"name": "full_name", "values": ["Retry Me"]}],
        }
        db.session.add(
            FailedLead(
                config_id=config_id,
                form_id="200000000000001",
                meta_lead_id="x",
                payload=good,
                reason="database refused the lead (OperationalError)",
            )
        )
        db.session.add(
            FailedLead(config_id=config_id, payload="garbage", reason="lead is not a JSON object")
        )
        db.session.commit()
        ids = list(db.session.scalars(sa.select(FailedLead.id).order_by(FailedLead.id)))
    page = admin.get("/admin/health").get_data(as_text=True)
    assert "database refused the lead" in page and "lead is not a JSON object" in page
    admin.post(f"/admin/failed-leads/{ids[0]}/retry")
    admin.post(f"/admin/failed-leads/{ids[1]}/retry")
    with app.app_context():
        assert db.session.scalar(sa.select(FacebookLead.first_name)) == "Retry"
        resolved = dict(db.session.execute(sa.select(FailedLead.id, FailedLead.resolved_at)).all())
        assert resolved[ids[0]] is not None and resolved[ids[1]] is None


def test_revoked_token_found_by_the_daily_check_alerts_by_email_and_banner(
    app, admin, config_id, sandbox, smtp
):
    app.config["META_APP_ID"] = SANDBOX_APP_ID
    sandbox.state.revoke_token(DEFAULT_PAGE_TOKEN)
    with app.app_context():
        assert jobs.check_all_tokens() == {"dead": 1}
        assert db.session.get(MetaApiConfig, config_id).status == ConfigStatus.NEEDS_REAUTH
        jobs.check_all_tokens()  # still dead: no second email
        mail_jobs.send_pending()
    assert len(smtp.messages) == 1
    recipients, content = smtp.messages[0]
    content = content.decode()
    assert recipients == ["boss@example.com"] and "paste a new Page access token" in content
    assert DEFAULT_PAGE_TOKEN not in content
    banner = admin.get("/facebook-leads/").get_data(as_text=True)
    assert "the token was refused, so no leads are fetched" in banner


def test_a_token_expiring_soon_is_warned_about(app, admin, sandbox_factory, smtp):
    real_now = datetime.now(UTC)
    server = sandbox_factory(now=lambda: real_now - timedelta(days=55))
    app.config.update(META_APP_ID=SANDBOX_APP_ID, META_GRAPH_URL=server.graph_url)
    with app.app_context():
        meta_configs.add_config(
            factories.make_distributor("X"),
            page_id="100000000000001",
            form_ids=[],
            token=server.state.user_token,
        )
        db.session.commit()
        assert jobs.check_all_tokens() == {"expiring": 1}
        mail_jobs.send_pending()
    assert "expires on" in smtp.messages[0][1].decode()
    assert "the token expires on" in admin.get("/facebook-leads/").get_data(as_text=True)


def test_a_failed_webhook_event_is_shown_translated_with_a_retry(app, admin, config_id):
    with app.app_context():
        event = MetaWebhookEvent(
            leadgen_id="4242",
            page_id=DEFAULT_PAGE_ID,
            payload={},
            status=WebhookEventStatus.FAILED,
            attempts=8,
            last_error="stale English text",
            last_error_code="gave_up",
            last_error_params={"attempts": 8},
        )
        db.session.add(event)
        db.session.commit()
        event_id = event.id
    page = admin.get("/admin/health").get_data(as_text=True)
    assert "Gave up after 8 attempts." in page and "stale English text" not in page
    assert f"/admin/webhook-events/{event_id}/retry" in page
    response = admin.post(f"/admin/webhook-events/{event_id}/retry")
    assert response.headers["Location"].startswith("/admin/health")
    with app.app_context():
        event = db.session.get(MetaWebhookEvent, event_id)
        # Queued again with a fresh count; the runner may already be fetching it.
        assert event.status != WebhookEventStatus.FAILED and event.attempts <= 1


def test_a_form_behind_meta_is_flagged_on_sync_health(app, admin, config_id):
    with app.app_context():
        form = MetaForm(config_id=config_id, form_id="31337", leads_count_on_meta=5)
        form.leads_counted_at, form.shortfall = datetime.now(UTC), 5
        db.session.add(form)
        db.session.commit()
    page = admin.get("/admin/health").get_data(as_text=True)
    assert "behind" in page and "5 leads Meta reports are not here" in page
    assert "A re-read of the last 90 days is due." in page
