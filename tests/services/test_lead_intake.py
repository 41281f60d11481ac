"""Leads entered by hand go through Meta's own path: normalised, scored, indexed, counted,
routed and alerted like a Meta lead; the duplicate check offers the person who exists; the
source is kept and can be counted apart."""

import pytest
import sqlalchemy as sa

from app.errors import ValidationError
from app.extensions import db
from app.models import FacebookLead, LeadCounter, LeadInteraction, OutboxMail, Role
from app.services import lead_counters, lead_intake, lead_record, lead_search, lead_service
from app.services.lead_filters import LeadFilters
from app.services.routing import rules
from tests import factories


def counters() -> dict:
    rows = db.session.scalars(sa.select(LeadCounter))
    return {(c.distributor_id, c.assigned_to_id, c.status, c.hidden): c.n for c in rows if c.n}


@pytest.fixture
def app_config():
    # Routing: every day, all day (the team's working hours would otherwise depend on the clock).
    return {"TEAM_WORK_HOURS": "1234567"}


@pytest.fixture
def setting(app_ctx):
    admin = factories.make_user("admin", role=Role.SUPERADMIN)
    admin.email = "boss@example.com"
    ayse = factories.make_user("ayse")
    distributor = factories.make_distributor()
    db.session.commit()
    return admin, ayse, distributor


def add(distributor, actor, source="phone", **data):
    return lead_intake.add_lead(data, source=source, distributor_id=distributor.id, actor=actor)


def test_a_phoned_in_lead_is_stored_like_a_meta_lead(setting):
    admin, ayse, distributor = setting
    rules.create_rule(rules.RuleInput(name="All", staff_ids=[ayse.id]))
    lead = add(
        distributor,
        admin,
        first_name="Thomas",
        last_name="Schmidt",
        phone="0151 23456789",
        country="Germany",
        service="dental_implants",
        notes="Called after the ad",
    )
    db.session.commit()
    assert lead.source == "phone" and lead.meta_lead_id.startswith("manual-")
    assert (lead.phone, lead.country_code, lead.service) == (
        "+4915123456789",
        "DE",
        "dental_implants",
    )
    assert lead.phone_raw == "0151 23456789" and lead.notes == "Called after the ad"
    assert lead.score == sum(lead.score_breakdown.values()) > 0
    assert lead.assigned_to_id == ayse.id  # routed by the rule, as Meta's are
    found = db.session.scalars(sa.select(FacebookLead.id).where(lead_search.matching("schmidt")))
    assert list(found) == [lead.id]
    shown = counters()
    lead_counters.recount()
    assert counters() == shown
    codes = set(
        db.session.scalars(
            sa.select(LeadInteraction.message_code).where(LeadInteraction.lead_id == lead.id)
        )
    )
    assert {"entered_by_hand", "routed_round_robin"} <= codes
    assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))) >= 1  # the new-lead alert


def test_the_same_person_is_offered_then_added_as_a_reinquiry(setting):
    admin, _ayse, distributor = setting
    first = factories.make_lead(distributor_id=distributor.id, email="ali@example.com")
    db.session.commit()
    with pytest.raises(lead_record.SamePersonError) as refused:
        add(distributor, admin, email="ALI@example.com", first_name="Ali")
    assert refused.value.lead_ids == [first.id]
    db.session.rollback()
    again = lead_intake.add_lead(
        {"email": "ali@example.com"},
        source="walk_in",
        distributor_id=distributor.id,
        actor=admin,
        as_reinquiry=True,
    )
    db.session.commit()
    assert again.duplicate_of_id == first.id and again.source == "walk_in"


@pytest.mark.parametrize(
    "source,data",
    [
        ("phone", {"phone": "123"}),
        ("phone", {"email": "not-an-email"}),
        ("phone", {"first_name": "No contact"}),
        ("meta", {"phone": "+905321112233"}),
        ("fax", {"phone": "+905321112233"}),
    ],
)
def test_bad_input_stores_nothing(setting, source, data):
    admin, _ayse, distributor = setting
    with pytest.raises(ValidationError):
        add(distributor, admin, source=source, **data)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(FacebookLead.id))) == 0


def test_the_source_filter_counts_hand_entered_leads_apart(setting):
    admin, _ayse, distributor = setting
    meta = factories.make_lead(distributor_id=distributor.id)
    phoned = add(distributor, admin, phone="+905321112299")
    db.session.commit()
    for source, expected in (("phone", [phoned.id]), ("meta", [meta.id])):
        query = lead_service.filtered_leads(admin, LeadFilters.from_args({"source": source}))
        assert [lead.id for lead in db.session.scalars(query)] == expected
    assert LeadFilters.from_args({"source": "phone"}).to_args() == {"source": "phone"}
    assert LeadFilters.from_args({"source": "<x>"}).source is None


def test_a_hand_entered_lead_is_counted_apart_in_analytics_and_exported_with_its_source(setting):
    from app.services.analytics_sources import source_tables

    admin, _ayse, distributor = setting
    factories.make_lead(distributor_id=distributor.id)
    add(distributor, admin, source="referral", phone="+905321112299")
    db.session.commit()
    table = source_tables(sa.select(FacebookLead))["source"]
    assert {(row.key, row.leads) for row in table} == {("meta", 1), ("referral", 1)}


def test_a_meta_lead_id_of_ours_is_never_taken_for_meta(setting):
    admin, _ayse, distributor = setting
    lead = add(distributor, admin, phone="+905321112299")
    assert lead.meta_lead_id != add(distributor, admin, phone="+905321112288").meta_lead_id
