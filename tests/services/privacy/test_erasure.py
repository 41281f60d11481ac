"""Erasure: every copy of a person goes, the counters stay right, and a tombstone of keyed
hashes keeps the ingest paths from storing them again."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AccessLog,
    FacebookLead,
    FailedLead,
    LeadCounter,
    LeadInteraction,
    LeadSearchTerm,
    MetaWebhookEvent,
    PrivacyErasure,
    PrivacyTombstone,
)
from app.services import lead_counters, lead_quarantine
from app.services.lead_quarantine import Failure
from app.services.meta_lead_service import LeadSource, ingest_raw_leads
from app.services.privacy import erasure, subject_export, tombstones
from tests import factories

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
EMAIL = "zeynep.kaya@example.org"
PHONE = "+905321234567"
FORM = "200000000000001"


def raw_lead(lead_id, *, phone="0532 123 45 67", email=EMAIL, created=None, name="Zeynep Kaya"):
    field_data = [{"name": "full_name", "values": [name]}]
    if phone:
        field_data.append({"name": "phone_number", "values": [phone]})
    if email:
        field_data.append({"name": "email", "values": [email]})
    created = created or NOW - timedelta(minutes=10)
    return {
        "id": str(lead_id),
        "created_time": created.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "form_id": FORM,
        "field_data": field_data,
    }


@pytest.fixture
def source(app_ctx):
    distributor = factories.make_distributor()
    db.session.commit()
    return LeadSource(distributor.id, "100000000000001", FORM, None)


def count(model, *where) -> int:
    query = sa.select(sa.func.count()).select_from(model)
    return db.session.scalar(query.where(*where) if where else query)


def counters() -> dict:
    rows = db.session.execute(sa.select(LeadCounter.__table__)).all()
    return {(r.distributor_id, r.assigned_to_id, r.status, r.hidden): r.n for r in rows if r.n}


def seed_person(source) -> None:
    """Zeynep's first lead, a re-inquiry by phone only, a re-inquiry by email only, and an
    unrelated lead; a note on her lead; her unreadable copy in the quarantine; a webhook event."""
    ingest_raw_leads([raw_lead(5001)], source, now=NOW)
    ingest_raw_leads([raw_lead(5002, email=None)], source, now=NOW)
    ingest_raw_leads([raw_lead(5003, phone=None)], source, now=NOW)
    ingest_raw_leads(
        [raw_lead(6001, phone="0533 765 43 21", email="other@example.org", name="Ali Veli")],
        source,
        now=NOW,
    )
    lead = db.session.scalar(sa.select(FacebookLead).where(FacebookLead.meta_lead_id == "5001"))
    db.session.add(LeadInteraction(lead_id=lead.id, interaction_type="note", description="x"))
    failure = Failure({"id": "5009", "field_data": [{"name": "email", "values": [EMAIL]}]}, "x")
    lead_quarantine.quarantine([failure], config_id=None, form_id=FORM, now=NOW)
    db.session.add(MetaWebhookEvent(leadgen_id="5001", page_id="1", form_id=FORM, payload={}))
    db.session.commit()


def test_erasing_by_email_removes_every_copy_and_keeps_the_counters_right(source):
    seed_person(source)
    person = erasure.find_person(email="Zeynep.Kaya@Example.org")
    assert sorted(lead.meta_lead_id for lead in person.leads) == ["5001", "5002", "5003"]
    record = erasure.erase(person, reason="Asked by phone on 1 Dec")
    db.session.commit()
    erasure.after_commit()

    left = set(db.session.scalars(sa.select(FacebookLead.meta_lead_id)))
    assert left == {"6001"}
    other = db.session.scalar(sa.select(FacebookLead.id))
    assert count(LeadInteraction, LeadInteraction.lead_id != other) == 0
    assert count(LeadSearchTerm, LeadSearchTerm.lead_id != other) == 0
    assert count(FailedLead) == 0 and count(MetaWebhookEvent) == 0
    kept = counters()
    lead_counters.recount()
    assert kept == counters()
    assert record.leads == 3 and record.removed["facebook_leads"] == 3
    assert record.removed["meta_failed_leads"] == 1
    # The tombstone and the audit hold hashes and counts, never the person.
    stored = " ".join(
        str(v) for row in db.session.execute(sa.select(PrivacyTombstone.__table__)) for v in row
    )
    for secret in ("5001", "5009", EMAIL, PHONE, "Zeynep"):
        assert secret not in stored
    audit = db.session.scalar(sa.select(AccessLog))
    assert audit.erasure_id == record.id and audit.lead_id is None


def test_an_erased_person_is_not_stored_again_by_any_ingest_path(source):
    seed_person(source)
    erasure.erase(erasure.find_person(phone="0532 123 45 67"), reason="request")
    db.session.commit()

    # The same leads again (a re-poll, a backfill), and a lead of hers Meta listed late.
    again = [raw_lead(5001), raw_lead(5002, email=None), raw_lead(5004)]
    result = ingest_raw_leads(again, source, now=NOW)
    db.session.commit()
    assert (result.created, result.erased, result.failed) == (0, 3, 0)
    assert result.erased_ids == {"5001", "5002", "5004"}
    # Her unreadable copy comes back from Meta: not quarantined again.
    result = ingest_raw_leads([{"id": "5009", "field_data": "garbage"}], source, now=NOW)
    db.session.commit()
    assert (result.erased, result.failed) == (1, 0) and count(FailedLead) == 0
    assert count(FacebookLead) == 1


def test_a_person_who_writes_again_after_the_erasure_is_a_new_lead(source):
    seed_person(source)
    erasure.erase(erasure.find_person(email=EMAIL), reason="request")
    db.session.commit()
    later = datetime.now(UTC) + timedelta(minutes=1)
    result = ingest_raw_leads([raw_lead(7001, created=later)], source, now=later)
    db.session.commit()
    assert result.created == 1 and result.erased == 0


def test_every_hash_key_is_checked_and_the_first_one_hashes(app, source):
    app.config["PRIVACY_HASH_KEYS"] = "old-key-of-thirty-two-bytes-or-more"
    seed_person(source)
    erasure.erase(erasure.find_person(email=EMAIL), reason="request")
    db.session.commit()
    app.config["PRIVACY_HASH_KEYS"] = "new-key-of-thirty-two-bytes-or-more, " + (
        "old-key-of-thirty-two-bytes-or-more"
    )
    assert tombstones.erased_lead_ids(["5001", "6001"]) == {"5001"}
    app.config["PRIVACY_HASH_KEYS"] = "new-key-of-thirty-two-bytes-or-more"
    assert tombstones.erased_lead_ids(["5001"]) == set()


def test_erasing_by_lead_is_not_transitive(source):
    seed_person(source)
    # 5002 has her phone only; a family member shares that phone with another email.
    ingest_raw_leads([raw_lead(5100, email="brother@example.org")], source, now=NOW)
    db.session.commit()
    lead = db.session.scalar(sa.select(FacebookLead).where(FacebookLead.meta_lead_id == "5003"))
    person = erasure.find_person(lead_id=lead.id)
    # 5003 has her email only: her email's leads (5001, 5003) and 5001's direct re-inquiries.
    found = sorted(lead.meta_lead_id for lead in person.leads)
    assert "6001" not in found and "5003" in found and "5001" in found


def test_a_key_that_is_not_one_is_refused(source):
    from app.errors import ValidationError

    with pytest.raises(ValidationError):
        erasure.find_person(phone="not a phone")
    with pytest.raises(ValidationError):
        erasure.erase(erasure.Person(), reason="  ")


def test_nothing_of_the_person_is_left_in_the_sqlite_file(app, source, database):
    if database != "sqlite":
        pytest.skip("the file's bytes: SQLite only")
    seed_person(source)
    erasure.erase(erasure.find_person(email=EMAIL), reason="request")
    db.session.commit()
    db.session.close()
    erasure.after_commit()
    path = Path(db.engine.url.database)
    data = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert b"Ali" in data  # the other lead is still there
    for secret in (EMAIL, PHONE, "Zeynep", "Kaya", "zeynep"):
        assert secret.encode() not in data, secret
    assert count(PrivacyErasure) == 1


def test_reconciliation_counts_erased_leads_as_held(source):
    from app.models import MetaApiConfig, MetaForm
    from app.services import meta_reconcile

    seed_person(source)
    config = MetaApiConfig(
        distributor_id=source.distributor_id, page_id="1", access_token_encrypted="x"
    )
    form = MetaForm(config=config, form_id=FORM, leads_count_on_meta=4, leads_counted_at=NOW)
    db.session.add_all([config, form])
    db.session.flush()
    assert meta_reconcile.reconcile(form, NOW) == -1  # 4 stored + 1 quarantined
    erasure.erase(erasure.find_person(email=EMAIL), reason="request")
    db.session.flush()
    assert meta_reconcile.reconcile(form, NOW) == -1  # 1 stored + 4 erased (one was quarantined)


def test_follow_ups_and_mails_of_the_person_go_and_others_stay(source):
    from app.models import LeadTask, OutboxMail

    seed_person(source)
    ids = dict(db.session.execute(sa.select(FacebookLead.meta_lead_id, FacebookLead.id)).all())
    due = NOW + timedelta(days=1)
    for meta_id in ("5001", "6001"):
        db.session.add(LeadTask(lead_id=ids[meta_id], due_at=due, note="call back"))
        db.session.add(
            OutboxMail(
                kind="new_lead",
                recipient="boss@example.com",
                lead_id=ids[meta_id],
                dedupe_key=f"new_lead:{meta_id}",
            )
        )
    db.session.commit()
    person = erasure.find_person(email=EMAIL)
    exported = subject_export.export_person(person)
    assert [row["lead_id"] for row in exported["lead_tasks"]] == [ids["5001"]]
    assert [row["lead_id"] for row in exported["mail_outbox"]] == [ids["5001"]]
    record = erasure.erase(person, reason="request")
    db.session.commit()
    assert record.removed["lead_tasks"] == 1 and record.removed["mail_outbox"] == 1
    assert set(db.session.scalars(sa.select(LeadTask.lead_id))) == {ids["6001"]}
    assert set(db.session.scalars(sa.select(OutboxMail.lead_id))) == {ids["6001"]}
