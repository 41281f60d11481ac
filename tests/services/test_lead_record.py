"""Editing a lead by hand: normalised like Meta's, derived data in step, links re-checked,
Meta's answers untouched, one timeline row old → new, and the refusals."""

import pytest
import sqlalchemy as sa

from app.errors import ValidationError
from app.extensions import db
from app.models import FacebookLead, InteractionType, LeadCounter, LeadInteraction, Role
from app.services import lead_counters, lead_record, lead_search, lead_workflow
from tests import factories


def counters() -> dict:
    rows = db.session.scalars(sa.select(LeadCounter))
    return {(c.distributor_id, c.assigned_to_id, c.status, c.hidden): c.n for c in rows if c.n}


def recounted() -> dict:
    lead_counters.recount()
    return counters()


def matches(q: str) -> list[int]:
    return list(db.session.scalars(sa.select(FacebookLead.id).where(lead_search.matching(q))))


@pytest.fixture
def admin(app_ctx):
    return factories.make_user("admin", role=Role.SUPERADMIN)


def edit(lead, actor, **fields):
    return lead_record.edit_lead(lead, fields, actor=actor, expected_version=lead.version_id)


def test_an_edit_is_normalised_rescored_reindexed_and_written_on_the_timeline(admin):
    answers = [{"name": "email", "values": ["thomas.schmidt@gmail.con"]}]
    lead = factories.make_lead(
        first_name="Thomas", email=None, phone=None, score=0, form_data=answers
    )
    lead.phone_raw = "0151 2345"
    db.session.commit()
    row = edit(
        lead,
        admin,
        first_name="  Tomasz ",
        email="Thomas.Schmidt@GMAIL.com",
        phone="0151 23456789",
        country="Germany",
        service="dental_implants",
        notes="Prefers\nWhatsApp",
    )
    db.session.commit()
    assert (lead.first_name, lead.email, lead.phone) == (
        "Tomasz",
        "thomas.schmidt@gmail.com",
        "+4915123456789",
    )
    assert lead.country_code == "DE" and lead.notes == "Prefers\nWhatsApp"
    assert lead.score == sum(lead.score_breakdown.values()) > 0
    assert lead.form_data == answers  # Meta's answers stay as they came
    assert matches("tomasz") == [lead.id] == matches("15123456789")
    assert counters() == recounted()
    assert row.interaction_type == InteractionType.EDIT and row.user_id == admin.id
    changes = {name: (old, new) for name, old, new in row.message_params["changes"]}
    assert changes["email"] == (None, "thomas.schmidt@gmail.com")
    assert changes["first_name"] == ("Thomas", "Tomasz")
    assert "last_name" not in changes


@pytest.mark.parametrize(
    "fields",
    [{"email": "thomas@gmail"}, {"phone": "12"}, {"service": "unicorn"}, {"first_name": 5}],
)
def test_invalid_values_are_refused_and_nothing_is_saved(admin, fields):
    lead = factories.make_lead()
    db.session.commit()
    version, email, phone = lead.version_id, lead.email, lead.phone
    with pytest.raises(ValidationError):
        edit(lead, admin, **fields)
    db.session.rollback()
    assert (lead.version_id, lead.email, lead.phone) == (version, email, phone)
    assert db.session.scalar(sa.select(sa.func.count(LeadInteraction.id))) == 0


def test_a_stale_version_is_a_conflict(admin):
    lead = factories.make_lead()
    db.session.commit()
    with pytest.raises(lead_workflow.StaleLeadError):
        lead_record.edit_lead(
            lead, {"city": "Bonn"}, actor=admin, expected_version=lead.version_id - 1
        )


def test_only_a_superadmin_or_the_assigned_coordinator_may_edit(admin):
    ayse, mehmet = factories.make_user("ayse"), factories.make_user("mehmet")
    lead = factories.make_lead(assigned_to_id=ayse.id)
    db.session.commit()
    with pytest.raises(lead_workflow.NotAllowedError):
        edit(lead, mehmet, city="Bonn")
    edit(lead, ayse, city="Bonn")
    assert lead.city == "Bonn"


def test_a_phone_another_lead_has_offers_that_lead_then_links_when_confirmed(admin):
    distributor = factories.make_distributor()
    first = factories.make_lead(distributor_id=distributor.id, phone="+905321112233")
    second = factories.make_lead(distributor_id=distributor.id)
    db.session.commit()
    with pytest.raises(lead_record.SamePersonError) as refused:
        edit(second, admin, phone="+90 532 111 22 33")
    assert refused.value.lead_ids == [first.id] and refused.value.status == 409
    db.session.rollback()
    lead_record.edit_lead(
        second,
        {"phone": "+90 532 111 22 33"},
        actor=admin,
        expected_version=second.version_id,
        confirm_same_person=True,
    )
    db.session.commit()
    assert second.duplicate_of_id == first.id  # a re-inquiry now, hidden like one
    assert counters() == recounted()
    reinquiry = db.session.scalar(
        sa.select(LeadInteraction).where(LeadInteraction.lead_id == first.id)
    )
    assert reinquiry.message_params == {"lead_id": second.id}


def test_a_reinquiry_whose_phone_is_corrected_away_stands_alone(admin):
    first = factories.make_lead(phone="+905321112233", email="a@example.com")
    again = factories.make_lead(phone="+905321112233", email=None, duplicate_of_id=first.id)
    db.session.commit()
    edit(again, admin, phone="+905329998877")
    db.session.commit()
    assert again.duplicate_of_id is None
    assert counters() == recounted()


def test_nothing_changed_writes_nothing(admin):
    lead = factories.make_lead(city="Bonn")
    db.session.commit()
    version = lead.version_id
    assert edit(lead, admin, city=" Bonn ") is None
    assert lead.version_id == version
