"""Retention with a frozen clock: the dry run counts exactly what the real run removes;
converted and recent leads stay; raw payloads and old access rows go; counters stay right."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AccessAction,
    AccessLog,
    FacebookLead,
    FailedLead,
    LeadCounter,
    LeadInteraction,
    LeadStatus,
    MetaWebhookEvent,
    PrivacyRun,
    WebhookEventStatus,
)
from app.services import lead_counters
from app.services.privacy import retention
from tests import factories

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=800)  # past 24 months
RECENT = NOW - timedelta(days=200)


def lead(status=LeadStatus.LOST, touched=OLD, **values) -> int:
    made = factories.make_lead(status=status, **values)
    db.session.flush()
    db.session.execute(
        sa.update(FacebookLead).where(FacebookLead.id == made.id).values(updated_at=touched)
    )
    return made.id


@pytest.fixture
def seeded(app_ctx):
    ids = {
        "lost_old": lead(),
        "invalid_old": lead(LeadStatus.INVALID),
        "idle_open": lead(LeadStatus.NEW),
        "converted_old": lead(LeadStatus.CONVERTED),
        "lost_recent": lead(touched=RECENT),
        "deleted_old": lead(LeadStatus.CONVERTED, deleted_at=OLD),
        "deleted_recent": lead(deleted_at=RECENT, touched=OLD),
    }
    # An old original with a recent re-inquiry stays (with it); an old pair goes together.
    ids["original_kept"] = lead()
    ids["reinquiry_recent"] = lead(
        LeadStatus.NEW, touched=RECENT, duplicate_of_id=ids["original_kept"]
    )
    ids["original_gone"] = lead()
    ids["reinquiry_old"] = lead(duplicate_of_id=ids["original_gone"])
    db.session.add(LeadInteraction(lead_id=ids["lost_old"], interaction_type="note"))
    raw_old, raw_new = NOW - timedelta(days=100), NOW - timedelta(days=10)
    db.session.add_all(
        [
            FailedLead(payload={"x": 1}, reason="r", meta_lead_id="1", last_seen_at=raw_old),
            FailedLead(payload={"x": 2}, reason="r", meta_lead_id="2", last_seen_at=raw_new),
            MetaWebhookEvent(
                leadgen_id="3", payload={}, status=WebhookEventStatus.DONE, received_at=raw_old
            ),
            MetaWebhookEvent(
                leadgen_id="4", payload={}, status=WebhookEventStatus.PENDING, received_at=raw_old
            ),
            AccessLog(action=AccessAction.VIEW, created_at=NOW - timedelta(days=400)),
            AccessLog(action=AccessAction.VIEW, created_at=NOW - timedelta(days=5)),
        ]
    )
    db.session.commit()
    return ids


def counters() -> dict:
    rows = db.session.execute(sa.select(LeadCounter.__table__)).all()
    return {(r.distributor_id, r.assigned_to_id, r.status, r.hidden): r.n for r in rows if r.n}


def test_the_dry_run_counts_what_the_purge_removes(seeded):
    dry = retention.purge(now=NOW, dry_run=True)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FacebookLead)) == 11
    real = retention.purge(now=NOW)
    db.session.commit()
    assert dry.counts == real.counts == {"leads": 6, "raw_payloads": 2, "access_log": 1}
    left = set(db.session.scalars(sa.select(FacebookLead.id)))
    expected = {"converted_old", "lost_recent", "deleted_recent", "original_kept"}
    expected.add("reinquiry_recent")
    assert left == {seeded[name] for name in expected}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadInteraction)) == 0
    assert set(db.session.scalars(sa.select(FailedLead.meta_lead_id))) == {"2"}
    assert set(db.session.scalars(sa.select(MetaWebhookEvent.leadgen_id))) == {"4"}
    kept = counters()
    lead_counters.recount()
    assert kept == counters()
    assert retention.last_run().id == real.id and retention.last_run().dry_run is False


def test_retention_months_are_settings(app, seeded):
    app.config["RETENTION_MONTHS"] = 120
    assert retention.purge(now=NOW, dry_run=True).counts["leads"] == 0


def test_months_ago_is_calendar_months():
    assert retention.months_ago(datetime(2026, 3, 31, tzinfo=UTC), 24) == datetime(
        2024, 3, 28, tzinfo=UTC
    )


def test_the_cli_purges_and_exports(app, runner, seeded):
    dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert dry.exit_code == 0 and "leads: " in dry.output and "Dry run" in dry.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PrivacyRun)) == 1
    email = db.session.get(FacebookLead, seeded["lost_recent"]).email
    out = runner.invoke(args=["privacy", "export", "--email", email])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert [item["id"] for item in data["leads"]] == [seeded["lost_recent"]]
    assert data["leads"][0]["email"] == email
    both = runner.invoke(args=["privacy", "export", "--email", email, "--phone", "+905321112233"])
    assert both.exit_code == 2
