"""Merging two leads of one person: values picked field by field, one timeline of both, the
other a re-inquiry of the survivor that Meta never brings back as new, undo for 15 minutes,
and the refusals with their reasons."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.errors import ValidationError
from app.extensions import db
from app.models import FacebookLead, LeadCounter, LeadInteraction, Role
from app.services import lead_counters, lead_merge, lead_service, lead_workflow, meta_lead_service
from tests import factories


def counters() -> dict:
    rows = db.session.scalars(sa.select(LeadCounter))
    return {(c.distributor_id, c.assigned_to_id, c.status, c.hidden): c.n for c in rows if c.n}


def in_step() -> bool:
    shown = counters()
    lead_counters.recount()
    return counters() == shown


@pytest.fixture
def pair(app_ctx):
    admin = factories.make_user("admin", role=Role.SUPERADMIN)
    distributor = factories.make_distributor()
    survivor = factories.make_lead(
        distributor_id=distributor.id, email="thomas.schmidt@gmail.con", phone="+4915123456789"
    )
    other = factories.make_lead(
        distributor_id=distributor.id, email="thomas.schmidt@gmail.com", phone="+4915199999999"
    )
    again = factories.make_lead(distributor_id=distributor.id, duplicate_of_id=other.id)
    for lead, text in ((survivor, "first call"), (other, "second form")):
        lead_workflow.add_interaction(lead, actor=admin, interaction_type="note", description=text)
    db.session.commit()
    return admin, survivor, other, again


def test_a_merge_takes_the_picked_values_and_keeps_both_timelines(pair):
    admin, survivor, other, again = pair
    merge = lead_merge.merge_leads(survivor, other, picks={"email": "other"}, actor=admin)
    db.session.commit()
    assert survivor.email == "thomas.schmidt@gmail.com" and survivor.phone == "+4915123456789"
    assert other.duplicate_of_id == survivor.id and again.duplicate_of_id == survivor.id
    texts = [row.description for row in lead_service.list_interactions(survivor)]
    assert "first call" in texts and "second form" in texts
    merged = [
        r for r in lead_service.list_interactions(survivor) if r.message_code == "lead_merged"
    ]
    assert merged[0].message_params["changes"] == [
        ["email", "thomas.schmidt@gmail.con", "thomas.schmidt@gmail.com"]
    ]
    assert in_step()
    assert merge.before["survivor"]["email"] == "thomas.schmidt@gmail.con"


def test_meta_never_brings_a_merged_lead_back_as_new(pair):
    admin, survivor, other, _again = pair
    lead_merge.merge_leads(survivor, other, picks={}, actor=admin)
    db.session.commit()
    raw = {
        "id": other.meta_lead_id,
        "created_time": datetime.now(UTC).isoformat(),
        "field_data": [{"name": "email", "values": ["thomas.schmidt@gmail.com"]}],
    }
    source = meta_lead_service.LeadSource(survivor.distributor_id)
    result = meta_lead_service.ingest_raw_leads([raw], source)
    assert result.created == 0 and result.already_stored == 1


def test_undo_within_15_minutes_puts_both_leads_back(pair):
    admin, survivor, other, again = pair
    merge = lead_merge.merge_leads(survivor, other, picks={"email": "other"}, actor=admin)
    db.session.commit()
    lead_merge.undo_merge(merge, actor=admin)
    db.session.commit()
    assert survivor.email == "thomas.schmidt@gmail.con"
    assert other.duplicate_of_id is None and again.duplicate_of_id == other.id
    assert "second form" not in [r.description for r in lead_service.list_interactions(survivor)]
    assert in_step()
    with pytest.raises(ValidationError):
        lead_merge.undo_merge(merge, actor=admin)


def test_undo_is_refused_after_15_minutes(pair):
    admin, survivor, other, _again = pair
    merge = lead_merge.merge_leads(survivor, other, picks={}, actor=admin)
    db.session.commit()
    later = datetime.now(UTC) + timedelta(minutes=16)
    with pytest.raises(ValidationError, match="15 minutes"):
        lead_merge.undo_merge(merge, actor=admin, now=later)
    assert lead_merge.undo_offer(survivor, now=later) is None


def test_refusals_name_their_reason(pair):
    admin, survivor, other, _again = pair
    stranger = factories.make_lead(distributor_id=factories.make_distributor().id)
    staff = factories.make_user("ayse")
    db.session.commit()
    with pytest.raises(ValidationError, match="itself"):
        lead_merge.merge_leads(survivor, survivor, picks={}, actor=admin)
    with pytest.raises(ValidationError, match="different distributors"):
        lead_merge.merge_leads(survivor, stranger, picks={}, actor=admin)
    with pytest.raises(lead_workflow.NotAllowedError):
        lead_merge.merge_leads(survivor, other, picks={}, actor=staff)
    with pytest.raises(ValidationError, match="Unknown field"):
        lead_merge.merge_leads(survivor, other, picks={"score": "other"}, actor=admin)
    lead_merge.merge_leads(survivor, other, picks={}, actor=admin)
    third = factories.make_lead(distributor_id=survivor.distributor_id)
    with pytest.raises(ValidationError, match="already merged"):
        lead_merge.merge_leads(third, other, picks={}, actor=admin)
    assert (
        db.session.scalar(
            sa.select(sa.func.count(LeadInteraction.id)).where(
                LeadInteraction.message_code == "merged_into"
            )
        )
        == 1
    )
    assert db.session.get(FacebookLead, stranger.id).duplicate_of_id is None
