"""The insert path: every lead once, person duplicates linked, bad leads kept raw."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app import events
from app.extensions import db
from app.models import FacebookLead, FailedLead, InteractionType, LeadInteraction
from app.services.meta_lead_service import LeadSource, ingest_raw_leads, insert_rows
from tests import factories

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def raw_lead(lead_id, *, name="Ayşe Yılmaz", phone="0532 123 45 67", email=None, minutes_ago=10):
    field_data = [
        {"name": "full_name", "values": [name]},
        {"name": "phone_number", "values": [phone]},
    ]
    if email:
        field_data.append({"name": "email", "values": [email]})
    created = (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    return {
        "id": str(lead_id),
        "created_time": created,
        "form_id": "200000000000001",
        "field_data": field_data,
    }


@pytest.fixture
def source(app_ctx):
    distributor = factories.make_distributor()
    db.session.commit()
    return LeadSource(distributor.id, "100000000000001", "200000000000001", None)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_each_lead_is_stored_once_even_when_ingested_twice(source):
    raws = [raw_lead(1000 + i, phone=f"0532 100 00 {i:02d}") for i in range(30)]
    first = ingest_raw_leads(raws, source, now=NOW)
    db.session.commit()
    second = ingest_raw_leads(raws, source, now=NOW)
    db.session.commit()
    assert (first.created, first.already_stored) == (30, 0)
    assert (second.created, second.already_stored) == (0, 30)
    assert count(FacebookLead) == 30


def test_a_lead_repeated_inside_one_batch_is_stored_once(source):
    result = ingest_raw_leads(
        [raw_lead(1), raw_lead(1), raw_lead(2, phone="0533 000 00 00")], source
    )
    db.session.commit()
    assert result.created == 2 and count(FacebookLead) == 2


def test_rows_carry_source_normalised_fields_and_a_score_breakdown(source):
    ingest_raw_leads([raw_lead(7, email="Ayse@Example.COM")], source, now=NOW)
    db.session.commit()
    lead = db.session.scalar(sa.select(FacebookLead))
    assert lead.meta_lead_id == "7" and lead.distributor_id == source.distributor_id
    assert lead.meta_page_id == "100000000000001" and lead.meta_form_id == "200000000000001"
    assert (lead.phone, lead.phone_raw, lead.email) == (
        "+905321234567",
        "0532 123 45 67",
        "ayse@example.com",
    )
    assert lead.meta_created_at == NOW - timedelta(minutes=10)
    assert lead.score == sum(lead.score_breakdown.values()) and lead.score > 0
    assert lead.version_id == 1 and lead.status == "new"


def test_same_phone_links_the_new_lead_to_the_original_with_a_reinquiry(source):
    ingest_raw_leads([raw_lead(1, minutes_ago=60)], source, now=NOW)
    db.session.commit()
    result = ingest_raw_leads(
        [raw_lead(2, name="Ayse Y.", phone="+90 (532) 123-45-67")], source, now=NOW
    )
    db.session.commit()
    original, again = db.session.scalars(sa.select(FacebookLead).order_by(FacebookLead.id)).all()
    assert result.reinquiries == 1
    assert again.duplicate_of_id == original.id and original.duplicate_of_id is None
    note = db.session.scalar(sa.select(LeadInteraction))
    assert (note.lead_id, note.interaction_type) == (original.id, InteractionType.REINQUIRY)
    assert f"#{again.id}" in note.description


def test_duplicates_chain_to_the_first_lead_by_phone_or_email(source):
    raws = [
        raw_lead(1, phone="0532 000 00 01", email="a@example.com", minutes_ago=30),
        raw_lead(2, phone="0532 000 00 02", email="a@example.com", minutes_ago=20),
        raw_lead(3, phone="0532 000 00 02", email="c@example.com", minutes_ago=10),
    ]
    ingest_raw_leads(raws, source, now=NOW)
    db.session.commit()
    rows = {r.meta_lead_id: r for r in db.session.scalars(sa.select(FacebookLead))}
    assert rows["2"].duplicate_of_id == rows["1"].id
    assert rows["3"].duplicate_of_id == rows["1"].id


def test_leads_of_another_distributor_are_not_duplicates(source):
    other = factories.make_distributor()
    db.session.commit()
    ingest_raw_leads([raw_lead(1)], source, now=NOW)
    ingest_raw_leads([raw_lead(2)], LeadSource(other.id, "1", "2", None), now=NOW)
    db.session.commit()
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(FacebookLead.duplicate_of_id.is_not(None))
        )
        == 0
    )


def test_meta_test_leads_never_become_originals(source):
    test_lead = raw_lead(1, name="<test lead: dummy data for full_name>", minutes_ago=30)
    ingest_raw_leads([test_lead, raw_lead(2)], source, now=NOW)
    db.session.commit()
    assert (
        db.session.scalar(
            sa.select(FacebookLead.duplicate_of_id).where(FacebookLead.meta_lead_id == "2")
        )
        is None
    )


def test_a_lead_that_cannot_be_parsed_is_kept_raw_and_counted_as_failed(source):
    broken = {
        "created_time": "2026-11-26T10:00:00+0000",
        "field_data": [{"name": "email", "values": ["x@y.com"]}],
    }
    result = ingest_raw_leads([broken, "garbage", raw_lead(5)], source, now=NOW)
    db.session.commit()
    assert (result.created, result.failed) == (1, 2)
    failed = db.session.scalars(sa.select(FailedLead).order_by(FailedLead.id)).all()
    assert [f.payload for f in failed] == [broken, "garbage"]
    assert failed[0].reason_code == "lead_no_id" and failed[0].form_id == source.form_id
    assert failed[0].reason == "The lead has no usable id."


def test_garbage_answers_never_stop_the_batch(source):
    hostile = raw_lead(9, name="<script>alert(1)</script> " + "A" * 3000, phone='=HYPERLINK("x")')
    hostile["field_data"].append({"name": "inbox_url"})
    hostile["field_data"].append({"name": "city", "values": ["Izmir\x00\ud800"]})
    result = ingest_raw_leads([hostile, raw_lead(10, phone="0533 111 22 33")], source, now=NOW)
    db.session.commit()
    assert result.created == 2
    lead = db.session.scalar(sa.select(FacebookLead).where(FacebookLead.meta_lead_id == "9"))
    assert lead.first_name.startswith("<script>") and lead.phone is None
    assert lead.phone_raw == '=HYPERLINK("x")'


def test_a_row_the_database_refuses_is_kept_raw_and_the_others_go_in(source):
    good = {
        "meta_lead_id": "1",
        "status": "new",
        "form_data": [],
        "score": 0,
        "version_id": 1,
        "created_at": NOW,
        "meta_created_at": NOW,
        "updated_at": NOW,
        "is_organic": False,
        "is_test": False,
    }
    bad = good | {"meta_lead_id": "2", "status": None}  # NOT NULL violation
    from app.services.meta_lead_service import IngestResult

    result = IngestResult()
    inserted = insert_rows([good, bad, good | {"meta_lead_id": "3"}], source, result)
    db.session.commit()
    assert sorted(r.meta_lead_id for r in inserted) == ["1", "3"]
    assert result.failed == 1
    assert db.session.scalar(sa.select(FailedLead.meta_lead_id)) == "2"


def test_lead_created_is_queued_only_for_new_rows_and_dropped_on_rollback(source):
    ingest_raw_leads([raw_lead(1)], source, now=NOW)
    created = [e for e in events.pending() if e[0] == "lead_created"]
    assert len(created) == 1 and created[0][2] == events.DASHBOARD_ROOM
    db.session.rollback()
    assert events.pending() == []
    ingest_raw_leads([raw_lead(1)], source, now=NOW)
    db.session.commit()
    ingest_raw_leads([raw_lead(1)], source, now=NOW)
    assert [e for e in events.pending() if e[0] == "lead_created"] == []
