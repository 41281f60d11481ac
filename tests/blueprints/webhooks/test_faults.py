"""The webhook when things go wrong: a poison lead fails alone, a lead Meta lists late is
retried, a dying batch is taken apart, events survive crashes and redeliveries, and a signed
body we cannot understand is acknowledged and kept, never answered with a 5xx."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    ConfigStatus,
    FacebookLead,
    FailedLead,
    MetaApiConfig,
    MetaWebhookEvent,
    WebhookEventStatus,
)
from app.services import meta_configs, meta_webhooks, webhook_leads
from app.tasks import webhook_jobs
from sandbox import DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN
from tests import factories
from tests.blueprints.webhooks.test_routes import SECRET, URL, payload_for, signed
from tests.fault_proxy import deep_nest

S = WebhookEventStatus


@pytest.fixture
def proxy(sandbox, fault_proxy):
    return fault_proxy(sandbox)


@pytest.fixture
def app_config(proxy):
    return {"META_GRAPH_URL": proxy.graph_url, "META_APP_SECRET": SECRET, "META_MAX_RETRIES": 0}


def connect_page(sandbox) -> int:
    config = meta_configs.add_config(
        factories.make_distributor(),
        page_id=DEFAULT_PAGE_ID,
        form_ids=sandbox.state.form_ids(),
        token=DEFAULT_PAGE_TOKEN,
    )
    db.session.commit()
    return config.id


@pytest.fixture
def config_id(app, sandbox):
    with app.app_context():
        return connect_page(sandbox)


def post(client, leads):
    body, headers = signed(payload_for(leads))
    return client.post(URL, data=body, headers=headers)


def sweep(app) -> None:
    with app.app_context():
        webhook_jobs.process_due_events()


def events(app) -> dict[str, MetaWebhookEvent]:
    with app.app_context():
        return {e.leadgen_id: e for e in db.session.scalars(sa.select(MetaWebhookEvent))}


def stored(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.select(FacebookLead.meta_lead_id)))


def make_due(app, *leadgen_ids, **changes) -> None:
    with app.app_context():
        for event in db.session.scalars(
            sa.select(MetaWebhookEvent).where(MetaWebhookEvent.leadgen_id.in_(leadgen_ids))
        ):
            event.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
            for key, value in changes.items():
                setattr(event, key, value)
        db.session.commit()


def test_a_poison_lead_fails_alone_and_its_batch_is_stored(app, client, config_id, sandbox, proxy):
    leads = sandbox.state.add_leads(count=11)
    proxy.patch_lead(leads[4]["id"], deep_nest())
    assert post(client, leads).get_json() == {"received": 11, "invalid": 0}
    sweep(app)
    found = events(app)
    assert stored(app) == {lead["id"] for lead in leads} - {leads[4]["id"]}
    assert found[leads[4]["id"]].status == S.FAILED
    assert found[leads[4]["id"]].last_error_code == "lead_unreadable"
    assert {e.status for k, e in found.items() if k != leads[4]["id"]} == {S.DONE}
    with app.app_context():
        kept = db.session.scalar(sa.select(FailedLead))
        assert (kept.meta_lead_id, kept.reason_code) == (leads[4]["id"], "lead_unreadable")


def test_a_lead_meta_does_not_list_yet_is_fetched_when_it_does(
    app, client, config_id, sandbox, proxy
):
    lead = sandbox.state.add_leads(count=1)[0]
    proxy.fail_lead(lead["id"], 100, times=1)
    post(client, [lead])
    sweep(app)
    event = events(app)[lead["id"]]
    assert event.status == S.PENDING and event.last_error_code == "not_listed_yet"
    make_due(app, lead["id"])
    sweep(app)
    assert events(app)[lead["id"]].status == S.DONE and stored(app) == {lead["id"]}


def test_a_batch_that_dies_is_taken_apart_and_the_bad_event_gives_up_in_the_end(
    app, client, config_id, sandbox, monkeypatch
):
    leads = sandbox.state.add_leads(count=4)
    bad = leads[2]["id"]
    real_ingest = webhook_leads.ingest_raw_leads

    def ingest_that_crashes_on_one_lead(raws, *args, **kwargs):  # an unforeseen bug, injected
        if any(raw.get("id") == bad for raw in raws):
            raise RuntimeError("a bug meets a lead")
        return real_ingest(raws, *args, **kwargs)

    monkeypatch.setattr(webhook_leads, "ingest_raw_leads", ingest_that_crashes_on_one_lead)
    post(client, leads)
    sweep(app)
    assert stored(app) == {lead["id"] for lead in leads} - {bad}
    # claimed with its batch, then alone: two attempts used, retried once the claim runs out
    assert events(app)[bad].status == S.PROCESSING and events(app)[bad].attempts == 2
    make_due(app, bad, attempts=meta_webhooks.MAX_ATTEMPTS)
    sweep(app)
    event = events(app)[bad]
    assert event.status == S.FAILED and event.last_error_code == "gave_up"


def test_events_in_flight_at_a_crash_are_taken_up_again_within_a_minute(
    app, client, config_id, sandbox
):
    assert meta_webhooks.CLAIM_SECONDS <= 60
    lead = sandbox.state.add_leads(count=1)[0]
    post(client, [lead])
    with app.app_context():  # a worker claimed it, then its process died
        assert meta_webhooks.claim([events(app)[lead["id"]].id], datetime.now(UTC))
        db.session.commit()
    sweep(app)
    assert stored(app) == set()  # still claimed
    make_due(app, lead["id"])  # CLAIM_SECONDS later
    sweep(app)
    assert stored(app) == {lead["id"]} and events(app)[lead["id"]].status == S.DONE


def test_meta_redelivering_a_failed_event_queues_it_again(app, client, config_id, sandbox, proxy):
    lead = sandbox.state.add_leads(count=1)[0]
    proxy.fail_lead(lead["id"], 10, times=1)  # a permanent refusal this time
    post(client, [lead])
    sweep(app)
    assert events(app)[lead["id"]].status == S.FAILED
    assert post(client, [lead]).get_json()["received"] == 1  # Meta retries the delivery
    assert events(app)[lead["id"]].status == S.PENDING
    sweep(app)
    assert events(app)[lead["id"]].status == S.DONE and stored(app) == {lead["id"]}
    assert post(client, [lead]).get_json()["received"] == 0  # a done event stays done


def test_events_of_a_page_connected_later_are_fetched_then(app, client, sandbox):
    lead = sandbox.state.add_leads(count=1)[0]
    post(client, [lead])
    sweep(app)
    assert events(app)[lead["id"]].status == S.UNKNOWN_PAGE
    with app.app_context():
        connect_page(sandbox)
    sweep(app)
    assert events(app)[lead["id"]].status == S.DONE and stored(app) == {lead["id"]}


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[" * 5000 + b"]" * 5000,
        b'{"entry": "x"}',
        b"[1, 2]",
        b'{"entry": [7, {"changes": ["x", 5, {"field": "leadgen", "value": "nope"}]}]}',
    ],
)
def test_a_signed_body_we_cannot_understand_is_acknowledged_and_kept(app, client, body):
    from sandbox import sign_body

    headers = {
        "X-Hub-Signature-256": sign_body(SECRET, body)[0],
        "Content-Type": "application/json",
    }
    response = client.post(URL, data=body, headers=headers)
    assert response.status_code == 200 and response.get_json()["received"] == 0
    assert response.get_json()["invalid"] >= 1
    with app.app_context():
        kept = db.session.scalars(sa.select(FailedLead)).all()
        assert kept and {f.reason_code for f in kept} == {"webhook_entry_invalid"}


def test_a_throttled_fetch_pauses_the_page_without_calling_the_connection_failing(
    app, client, config_id, sandbox
):
    lead = sandbox.state.add_leads(count=1)[0]
    sandbox.state.inject_fault(80005, path_contains=lead["id"], regain_minutes=4)
    post(client, [lead])
    sweep(app)
    with app.app_context():
        config = db.session.get(MetaApiConfig, config_id)
        assert config.status == ConfigStatus.OK and config.last_error is None
        assert config.retry_after > datetime.now(UTC) + timedelta(minutes=3)
    assert events(app)[lead["id"]].status == S.PENDING
