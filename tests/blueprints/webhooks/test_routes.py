"""`/webhooks/meta`: verification, signatures, persistence before the 200, and fetching."""

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import FacebookLead, MetaWebhookEvent, WebhookEventStatus
from app.services import meta_configs, meta_webhooks
from app.tasks import sync_jobs, webhook_jobs, webhook_worker
from sandbox import DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN, sign_body, webhook_change
from sandbox.webhooks import webhook_payload
from tests import factories
from tests.conftest import config_for
from tests.sandbox.fixtures import SANDBOX_APP_SECRET

SECRET = SANDBOX_APP_SECRET  # the app and the sandbox share the Meta app secret
VERIFY = "verify-me"
URL = "/webhooks/meta"


@pytest.fixture
def app_config(sandbox):
    return {
        "META_GRAPH_URL": sandbox.graph_url,
        "META_APP_SECRET": SECRET,
        "META_WEBHOOK_VERIFY_TOKEN": VERIFY,
        "META_MAX_RETRIES": 0,
    }


@pytest.fixture
def config_id(app, sandbox):
    with app.app_context():
        config = meta_configs.add_config(
            factories.make_distributor(),
            page_id=DEFAULT_PAGE_ID,
            form_ids=sandbox.state.form_ids(),
            token=DEFAULT_PAGE_TOKEN,
        )
        db.session.commit()
        return config.id


def signed(payload, secret=SECRET) -> tuple[bytes, dict]:
    body = json.dumps(payload).encode()
    return body, {
        "X-Hub-Signature-256": sign_body(secret, body)[0],
        "Content-Type": "application/json",
    }


def payload_for(leads) -> dict:
    return webhook_payload([webhook_change(lead, DEFAULT_PAGE_ID) for lead in leads])


def count(app, model=MetaWebhookEvent) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def process_all(app) -> None:
    with app.app_context():
        webhook_jobs.process_due_events(limit=5000)


def test_verification_echoes_the_challenge_as_plain_text(client):
    response = client.get(
        URL,
        query_string={
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY,
            "hub.challenge": "<script>alert(1)</script>",
        },
    )
    assert response.status_code == 200
    assert response.data == b"<script>alert(1)</script>"
    assert response.mimetype == "text/plain"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "args",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY, "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
)
def test_verification_refuses_wrong_token_or_mode(client, args):
    response = client.get(URL, query_string=args)
    assert response.status_code == 403 and b"1" not in response.data.strip()[:1]


def test_verification_is_refused_when_no_token_is_configured(app, client):
    app.config["META_WEBHOOK_VERIFY_TOKEN"] = ""
    response = client.get(
        URL, query_string={"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
    )
    assert response.status_code == 403


def test_signed_post_is_stored_before_the_200_and_then_fetched(app, client, config_id, sandbox):
    leads = sandbox.state.add_leads(count=2)
    body, headers = signed(payload_for(leads))
    response = client.post(URL, data=body, headers=headers)
    assert response.status_code == 200 and response.get_json() == {"received": 2, "invalid": 0}
    with app.app_context():
        events = db.session.scalars(sa.select(MetaWebhookEvent).order_by(MetaWebhookEvent.id)).all()
        assert [e.status for e in events] == [WebhookEventStatus.PENDING] * 2
        assert {e.leadgen_id for e in events} == {lead["id"] for lead in leads}
    process_all(app)
    with app.app_context():
        stored = set(db.session.scalars(sa.select(FacebookLead.meta_lead_id)))
        assert stored == {lead["id"] for lead in leads}
        events = db.session.scalars(sa.select(MetaWebhookEvent)).all()
        assert all(e.status == WebhookEventStatus.DONE and e.lead_id for e in events)


@pytest.mark.parametrize("case", ["missing", "malformed", "wrong_secret", "tampered"])
def test_bad_signatures_are_refused_and_nothing_is_stored(app, client, config_id, sandbox, case):
    body, headers = signed(payload_for(sandbox.state.add_leads(count=1)))
    if case == "missing":
        del headers["X-Hub-Signature-256"]
    elif case == "malformed":
        headers["X-Hub-Signature-256"] = "sha256=zz"
    elif case == "wrong_secret":
        headers["X-Hub-Signature-256"] = sign_body("another-secret", body)[0]
    else:
        body = body.replace(b'"leadgen"', b'"leadgen" ')
    assert client.post(URL, data=body, headers=headers).status_code == 403
    assert count(app) == 0


def test_the_webhook_needs_no_csrf_token_and_no_session(app, config_id, sandbox):
    csrf_app = create_app(
        config_for(
            "sqlite",
            WTF_CSRF_ENABLED=True,
            META_APP_SECRET=SECRET,
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        )
    )
    body, headers = signed(payload_for(sandbox.state.add_leads(count=1)))
    assert csrf_app.test_client().post(URL, data=body, headers=headers).status_code == 200
    with csrf_app.app_context():
        db.engine.dispose()


def test_oversized_body_is_refused(app, client):
    app.config["WEBHOOK_MAX_BYTES"] = 1000
    body, headers = signed({"object": "page", "entry": [], "pad": "x" * 2000})
    assert client.post(URL, data=body, headers=headers).status_code == 413


def test_a_batch_of_1000_changes_becomes_1000_leads(app, client, config_id, sandbox):
    form_id = sandbox.state.form_ids()[0]
    sandbox.state.add_bulk(form_id, 1000, spread_days=1)
    leads = sandbox.state.leads_of(form_id)[:1000]
    body, headers = signed(payload_for(leads))
    answer = client.post(URL, data=body, headers=headers).get_json()
    assert answer == {"received": 1000, "invalid": 0}
    process_all(app)
    with app.app_context():
        ids = list(db.session.scalars(sa.select(FacebookLead.meta_lead_id)))
    assert len(ids) == len(set(ids)) == 1000


def test_the_same_payload_twice_at_once_is_one_event_and_one_lead(app, config_id, sandbox):
    body, headers = signed(payload_for(sandbox.state.add_leads(count=1)))
    statuses, barrier = [], threading.Barrier(2)

    def send():
        barrier.wait()
        statuses.append(app.test_client().post(URL, data=body, headers=headers).status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200, 200]
    process_all(app)
    assert count(app) == 1 and count(app, FacebookLead) == 1


def test_webhook_and_poll_racing_store_one_lead(app, client, config_id, sandbox):
    lead = sandbox.state.add_leads(count=1)[0]
    body, headers = signed(payload_for([lead]))
    client.post(URL, data=body, headers=headers)
    errors = []

    def run(work):
        with app.app_context():
            try:
                work()
            except Exception as error:  # surfaced by the assertion below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=run, args=(w,))
        for w in (
            lambda: webhook_jobs.process_due_events(),
            lambda: sync_jobs.sync_config(config_id),
        )
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(FacebookLead.meta_lead_id == lead["id"])
            )
            == 1
        )
        assert db.session.scalar(sa.select(MetaWebhookEvent.status)) == WebhookEventStatus.DONE


def test_events_acknowledged_before_a_restart_are_fetched_after_it(app, client, config_id, sandbox):
    lead = sandbox.state.add_leads(count=1)[0]
    body, headers = signed(payload_for([lead]))
    assert client.post(URL, data=body, headers=headers).status_code == 200  # then the process dies
    restarted = create_app(
        config_for(
            "sqlite",
            WEBHOOK_WORKER=True,
            META_GRAPH_URL=sandbox.graph_url,
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            TOKEN_ENCRYPTION_KEYS=app.config["TOKEN_ENCRYPTION_KEYS"],
        )
    )
    worker = webhook_worker.start(restarted)  # what the restarted web process does at startup
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and count(app, FacebookLead) == 0:
        time.sleep(0.05)
    worker.stop()
    with restarted.app_context():
        db.engine.dispose()
    assert count(app, FacebookLead) == 1


def test_events_for_unknown_pages_are_kept_and_not_retried(app, client, config_id):
    change = {
        "field": "leadgen",
        "value": {"leadgen_id": "5550001", "page_id": "999", "form_id": "998"},
    }
    body, headers = signed(
        {"object": "page", "entry": [{"id": "999", "time": 1, "changes": [change]}]}
    )
    client.post(URL, data=body, headers=headers)
    process_all(app)
    with app.app_context():
        event = db.session.scalar(sa.select(MetaWebhookEvent))
        assert event.status == WebhookEventStatus.UNKNOWN_PAGE and event.attempts == 1
        assert meta_webhooks.due_event_ids() == []


def test_graph_failing_during_the_fetch_is_retried_later(app, client, config_id, sandbox):
    lead = sandbox.state.add_leads(count=1)[0]
    sandbox.state.inject_fault(2, times=1, path_contains=lead["id"])
    body, headers = signed(payload_for([lead]))
    client.post(URL, data=body, headers=headers)
    process_all(app)
    with app.app_context():
        event = db.session.scalar(sa.select(MetaWebhookEvent))
        assert event.status == WebhookEventStatus.PENDING and event.attempts == 1
        assert event.next_attempt_at > datetime.now(UTC) and "error 2" in (event.last_error or "")
        assert meta_webhooks.due_event_ids() == []
        event.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)  # time passes
        db.session.commit()
    process_all(app)
    assert count(app, FacebookLead) == 1


def test_a_lead_meta_does_not_list_is_retried_while_fresh_then_failed(app, client, config_id):
    change = {
        "field": "leadgen",
        "value": {
            "leadgen_id": "123456789",
            "page_id": DEFAULT_PAGE_ID,
            "form_id": "200000000000001",
        },
    }
    body, headers = signed(
        {"object": "page", "entry": [{"id": DEFAULT_PAGE_ID, "time": 1, "changes": [change]}]}
    )
    client.post(URL, data=body, headers=headers)
    process_all(app)
    with app.app_context():  # Meta lists new leads late: a fresh one is asked for again
        event = db.session.scalar(sa.select(MetaWebhookEvent))
        assert event.status == WebhookEventStatus.PENDING
        assert event.last_error_code == "not_listed_yet" and "100" in event.last_error
        assert event.next_attempt_at > datetime.now(UTC) + timedelta(seconds=10)
        event.received_at = datetime.now(UTC) - timedelta(hours=3)  # no longer fresh
        event.next_attempt_at = datetime.now(UTC)
        db.session.commit()
    process_all(app)
    with app.app_context():
        event = db.session.scalar(sa.select(MetaWebhookEvent))
        assert event.status == WebhookEventStatus.FAILED and "100" in event.last_error
