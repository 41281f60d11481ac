"""An erased person stays erased: a re-poll, a backfill, a deep re-read, a re-delivered
webhook and a quarantine retry bring nothing of them back (against the sandbox, over HTTP)."""

import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    FacebookLead,
    FailedLead,
    MetaForm,
    MetaWebhookEvent,
    Role,
    SyncRun,
    SyncTrigger,
)
from app.services import meta_configs, meta_health
from app.services.privacy import erasure
from app.tasks import sync_jobs, webhook_jobs
from sandbox import DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN, sign_body, webhook_change
from sandbox.webhooks import webhook_payload
from tests import factories
from tests.sandbox.fixtures import SANDBOX_APP_SECRET


@pytest.fixture
def sandbox(sandbox_factory):
    return sandbox_factory(leads_per_form=6)


@pytest.fixture
def app_config(sandbox):
    return {
        "META_GRAPH_URL": sandbox.graph_url,
        "META_APP_SECRET": SANDBOX_APP_SECRET,
        "META_MAX_RETRIES": 0,
    }


@pytest.fixture
def config_id(app_ctx, sandbox):
    config = meta_configs.add_config(
        factories.make_distributor(),
        page_id=DEFAULT_PAGE_ID,
        form_ids=sandbox.state.form_ids(),
        token=DEFAULT_PAGE_TOKEN,
    )
    db.session.commit()
    return config.id


def stored() -> set[str]:
    return set(db.session.scalars(sa.select(FacebookLead.meta_lead_id)))


def deliver(client, leads) -> dict:
    payload = webhook_payload([webhook_change(lead, DEFAULT_PAGE_ID) for lead in leads])
    body = json.dumps(payload).encode()
    headers = {
        "X-Hub-Signature-256": sign_body(SANDBOX_APP_SECRET, body)[0],
        "Content-Type": "application/json",
    }
    return client.post("/webhooks/meta", data=body, headers=headers).get_json()


def erase_someone(runner) -> tuple[set[str], int]:
    lead = db.session.scalar(
        sa.select(FacebookLead).where(FacebookLead.email.is_not(None)).order_by(FacebookLead.id)
    )
    person = erasure.find_person(lead_id=lead.id)
    gone = {lead.meta_lead_id for lead in person.leads}
    result = runner.invoke(args=["privacy", "erase", "--lead", str(lead.id), "--reason", "asked"])
    assert result.exit_code == 1  # no confirmation typed: aborted, nothing erased
    assert gone <= stored()
    result = runner.invoke(
        args=["privacy", "erase", "--lead", str(lead.id), "--reason", "asked"], input="y\n"
    )
    assert result.exit_code == 0, result.output
    noun = "lead" if len(gone) == 1 else "leads"
    assert f": {len(gone)} {noun} erased." in result.output
    return gone, len(gone)


def test_erased_people_do_not_come_back(app, client, runner, config_id, sandbox):
    sync_jobs.sync_config(config_id)
    before = stored()
    gone, n = erase_someone(runner)
    db.session.expire_all()
    assert stored() == before - gone

    # Meta re-delivers the webhook of each of their leads: not even an event is kept.
    leads = [sandbox.state.get_lead(i) for i in gone]
    assert deliver(client, leads)["received"] == 0
    webhook_jobs.process_due_events()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MetaWebhookEvent)) == 0

    # A backfill (checkpoints gone) and a deep re-read count them as erased, not errors.
    db.session.execute(sa.update(MetaForm).values(checkpoint=None))
    db.session.commit()
    outcome = sync_jobs.sync_config(config_id)
    assert sum(f.result.erased for f in outcome.forms) == n
    assert sum(f.result.failed for f in outcome.forms) == 0
    assert all(r.status.value == "ok" for r in db.session.scalars(sa.select(SyncRun)))
    sync_jobs.sync_config(config_id, trigger=SyncTrigger.RECONCILE, deep=True)
    runs = db.session.scalars(sa.select(SyncRun).order_by(SyncRun.id.desc())).all()
    assert sum(r.erased for r in runs[:3]) == n
    db.session.expire_all()
    assert stored() == before - gone
    # The sync health page says so, and retention's last run (none yet).
    factories.make_user("boss", role=Role.SUPERADMIN)
    db.session.commit()
    client.post("/auth/login", data={"username": "boss", "password": "correct-horse"})
    page = client.get("/admin/health").get_data(as_text=True)
    assert "of erased people skipped" in page or "of an erased person skipped" in page
    assert "No purge yet" in page


def test_an_event_stored_before_the_erasure_is_dropped_without_a_fetch(
    app, client, runner, config_id, sandbox
):
    sync_jobs.sync_config(config_id)
    lead = db.session.scalar(sa.select(FacebookLead).order_by(FacebookLead.id))
    person = erasure.find_person(lead_id=lead.id)
    erasure.erase(person, reason="asked")
    db.session.commit()
    # A delivery that raced the erasure: stored as an event, then processed.
    db.session.add(
        MetaWebhookEvent(leadgen_id=lead.meta_lead_id, page_id=DEFAULT_PAGE_ID, payload={})
    )
    db.session.commit()
    sandbox.state.requests_log.clear()
    outcome = webhook_jobs.process_events(list(db.session.scalars(sa.select(MetaWebhookEvent.id))))
    assert outcome["erased"] == 1 and not sandbox.state.requests_log
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MetaWebhookEvent)) == 0


def test_a_quarantine_retry_does_not_bring_them_back(app, config_id, sandbox):
    sync_jobs.sync_config(config_id)
    lead = db.session.scalar(
        sa.select(FacebookLead).where(FacebookLead.phone.is_not(None)).order_by(FacebookLead.id)
    )
    raw = sandbox.state.get_lead(lead.meta_lead_id)
    erasure.erase(erasure.find_person(lead_id=lead.id), reason="asked")
    db.session.commit()
    # A copy quarantined under another id (say, before a fix) with the same phone is retried.
    copy = dict(raw, id="77" + raw["id"][2:])
    failed = FailedLead(meta_lead_id=copy["id"], payload=copy, reason="x", config_id=config_id)
    db.session.add(failed)
    db.session.commit()
    stored_ok, why = meta_health.retry_failed_lead(failed)
    db.session.commit()
    assert not stored_ok and "erased" in why
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FailedLead)) == 0
    assert copy["id"] not in stored()
