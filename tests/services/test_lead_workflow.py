"""Working a lead: the status pipeline, assignment, logged contact, the timeline, optimistic
locking, rescoring, and status counters that stay equal to the leads they count."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.errors import ValidationError
from app.extensions import db
from app.i18n.labels import status_label
from app.models import (
    FacebookLead,
    InteractionType,
    LeadCounter,
    LeadInteraction,
    LeadStatus,
    User,
)
from app.services import lead_workflow
from app.services.lead_workflow import (
    InvalidTransitionError,
    NotAllowedError,
    StaleLeadError,
)
from app.services.meta_lead_service import LeadSource, ingest_raw_leads
from tests import factories

S = LeadStatus
# The pipeline as DESIGN.md states it: forward along new → assigned → contacted → qualified →
# converted (assigned may fall back to new, qualified to contacted), lost/invalid from any open
# status, converted final, lost/invalid reopened as new.
ALLOWED = {
    S.NEW: {S.ASSIGNED, S.CONTACTED, S.LOST, S.INVALID},
    S.ASSIGNED: {S.NEW, S.CONTACTED, S.LOST, S.INVALID},
    S.CONTACTED: {S.QUALIFIED, S.LOST, S.INVALID},
    S.QUALIFIED: {S.CONVERTED, S.CONTACTED, S.LOST, S.INVALID},
    S.CONVERTED: set(),
    S.LOST: {S.NEW},
    S.INVALID: {S.NEW},
}
ALLOWED_PAIRS = [(old, new) for old, targets in ALLOWED.items() for new in sorted(targets)]
FORBIDDEN_PAIRS = [(old, new) for old in S for new in S if new != old and new not in ALLOWED[old]]


@pytest.fixture
def people(app_ctx, users):
    return {name: db.session.get(User, user_id) for name, user_id in users.items()}


@pytest.fixture
def admin(people):
    return people["admin"]


@pytest.fixture
def staff(people):
    return people["ayse"]


def make_lead(**values) -> FacebookLead:
    lead = factories.make_lead(**values)
    db.session.commit()
    return lead


def timeline(lead: FacebookLead) -> list[LeadInteraction]:
    return list(
        db.session.scalars(
            sa.select(LeadInteraction)
            .where(LeadInteraction.lead_id == lead.id)
            .order_by(LeadInteraction.id)
        )
    )


def stored_counters() -> Counter:
    rows = db.session.execute(
        sa.select(
            LeadCounter.distributor_id,
            LeadCounter.assigned_to_id,
            LeadCounter.status,
            LeadCounter.hidden,
            LeadCounter.n,
        )
    )
    return Counter({(d, a, s, bool(h)): n for d, a, s, h, n in rows if n})


def counted_from_leads() -> Counter:
    """The GROUP BY the counters stand for, done here from the rows themselves."""
    db.session.expire_all()
    return Counter(
        (
            lead.distributor_id or 0,
            lead.assigned_to_id or 0,
            lead.status.value,
            lead.duplicate_of_id is not None or bool(lead.is_test),
        )
        for lead in db.session.scalars(sa.select(FacebookLead))
        if lead.deleted_at is None
    )


# --- the status pipeline --------------------------------------------------------------------


def test_assigned_and_new_follow_the_assignment(admin, staff):
    unassigned = make_lead(status=S.NEW)
    with pytest.raises(lead_workflow.InvalidTransitionError, match="Assign the lead"):
        lead_workflow.change_status(unassigned, S.ASSIGNED, actor=admin)
    assigned = make_lead(status=S.ASSIGNED, assigned_to_id=staff.id)
    with pytest.raises(lead_workflow.InvalidTransitionError, match="Unassign the lead first"):
        lead_workflow.change_status(assigned, S.NEW, actor=admin)
    assert "assigned" not in lead_workflow.next_statuses(unassigned)
    assert "new" not in lead_workflow.next_statuses(assigned)


def test_the_transition_table_is_the_designed_pipeline():
    assert {old: set(new) for old, new in lead_workflow.TRANSITIONS.items()} == ALLOWED


@pytest.mark.parametrize(("old", "new"), ALLOWED_PAIRS, ids=lambda s: s.value)
def test_every_allowed_transition_changes_the_status_and_logs_it(admin, staff, old, new):
    # "assigned" needs an assignee and "new" needs none: set the lead up to agree.
    assignee = staff.id if new != S.NEW and (old == S.ASSIGNED or new == S.ASSIGNED) else None
    lead = make_lead(status=old, assigned_to_id=assignee)
    version = lead.version_id
    interaction = lead_workflow.change_status(lead, new, actor=admin, expected_version=version)
    db.session.commit()
    db.session.expire_all()
    assert lead.status == new
    assert lead.version_id == version + 1
    assert interaction.interaction_type == InteractionType.STATUS_CHANGE
    assert interaction.user_id == admin.id
    assert f"{old.value} → {new.value}" in interaction.description


def test_every_forbidden_transition_is_refused_naming_the_allowed_ones(admin):
    for old, new in FORBIDDEN_PAIRS:
        lead = make_lead(status=old)
        with pytest.raises(InvalidTransitionError) as refused:
            lead_workflow.change_status(lead, new, actor=admin)
        message = str(refused.value)
        assert f"A {status_label(old)} lead cannot become {status_label(new)}." in message
        for allowed in ALLOWED[old]:
            assert status_label(allowed) in message.split("Allowed:")[1]
        db.session.rollback()
        assert db.session.get(FacebookLead, lead.id).status == old
        assert timeline(lead) == []


def test_a_new_lead_cannot_become_qualified_and_is_told_what_it_can_become(admin):
    lead = make_lead(status=S.NEW)
    with pytest.raises(InvalidTransitionError) as refused:
        lead_workflow.change_status(lead, "qualified", actor=admin)
    assert str(refused.value) == (
        "A New lead cannot become Qualified. Allowed: Assigned, Contacted, Invalid, Lost."
    )
    assert refused.value.status == 422


@pytest.mark.parametrize("status", list(S), ids=lambda s: s.value)
def test_changing_to_the_same_status_is_refused(admin, status):
    lead = make_lead(status=status)
    with pytest.raises(InvalidTransitionError, match=f"already {status_label(status)}"):
        lead_workflow.change_status(lead, status, actor=admin)


def test_an_unknown_status_is_a_validation_error(admin):
    lead = make_lead()
    with pytest.raises(ValidationError, match="Unknown status"):
        lead_workflow.change_status(lead, "won", actor=admin)


def test_converted_is_final(admin):
    lead = make_lead(status=S.QUALIFIED)
    lead_workflow.change_status(lead, S.CONVERTED, actor=admin)
    db.session.commit()
    for target in set(S) - {S.CONVERTED}:
        with pytest.raises(InvalidTransitionError, match="Allowed: none"):
            lead_workflow.change_status(lead, target, actor=admin)
    assert db.session.get(FacebookLead, lead.id).status == S.CONVERTED


@pytest.mark.parametrize("closed", [S.LOST, S.INVALID], ids=lambda s: s.value)
def test_lost_and_invalid_leads_can_be_reopened_as_new(admin, closed):
    lead = make_lead(status=S.CONTACTED)
    lead_workflow.change_status(lead, closed, actor=admin)
    lead_workflow.change_status(lead, S.NEW, actor=admin)
    db.session.commit()
    assert [i.description for i in timeline(lead)] == [
        f"Status contacted → {closed.value}.",
        f"Status {closed.value} → new.",
    ]
    assert db.session.get(FacebookLead, lead.id).status == S.NEW


def test_first_contact_time_is_set_once_and_kept_through_reopening(admin):
    lead = make_lead(status=S.NEW)
    assert lead.first_contacted_at is None
    lead_workflow.change_status(lead, S.CONTACTED, actor=admin)
    db.session.commit()
    first = lead.first_contacted_at
    assert first is not None and datetime.now(UTC) - first < timedelta(minutes=1)
    for status in (S.LOST, S.NEW, S.CONTACTED, S.QUALIFIED):
        lead_workflow.change_status(lead, status, actor=admin)
    db.session.commit()
    db.session.expire_all()
    assert lead.first_contacted_at == first


def test_conversion_time_is_set_on_converting_and_kept(admin):
    lead = make_lead(status=S.QUALIFIED)
    assert lead.converted_at is None
    lead_workflow.change_status(lead, S.CONVERTED, actor=admin)
    db.session.commit()
    converted = lead.converted_at
    assert converted is not None
    with pytest.raises(InvalidTransitionError):
        lead_workflow.change_status(lead, S.LOST, actor=admin)
    lead_workflow.add_interaction(lead, actor=admin, interaction_type="note", description="Paid")
    db.session.commit()
    db.session.expire_all()
    assert (lead.status, lead.converted_at) == (S.CONVERTED, converted)


def test_leaving_converted_clears_the_conversion_time(admin):
    # change_status never leaves converted; the shared helper still keeps the two in step.
    lead = make_lead(status=S.QUALIFIED)
    lead_workflow.apply_status(lead, S.CONVERTED)
    assert lead.converted_at is not None
    lead_workflow.apply_status(lead, S.QUALIFIED)
    assert (lead.status, lead.converted_at) == (S.QUALIFIED, None)


def test_a_status_note_is_added_to_the_timeline_text(admin):
    lead = make_lead()
    interaction = lead_workflow.change_status(
        lead, S.LOST, actor=admin, note="  Chose a clinic in Budapest.  "
    )
    assert interaction.description == "Status new → lost. Chose a clinic in Budapest."


def test_a_system_change_is_logged_without_a_user(admin):
    lead = make_lead()
    interaction = lead_workflow.change_status(lead, S.INVALID, actor=None)
    db.session.commit()
    assert timeline(lead)[0].user_id is None and interaction.user is None


# --- assignment -----------------------------------------------------------------------------


def test_assigning_a_new_lead_makes_it_assigned_and_unassigning_makes_it_new(admin, people):
    lead = make_lead(status=S.NEW)
    lead_workflow.assign(lead, people["ayse"], actor=admin)
    db.session.commit()
    db.session.expire_all()
    assert (lead.status, lead.assigned_to_id) == (S.ASSIGNED, people["ayse"].id)
    lead_workflow.assign(lead, None, actor=admin)
    db.session.commit()
    db.session.expire_all()
    assert (lead.status, lead.assigned_to_id) == (S.NEW, None)
    kinds = [(i.interaction_type, i.user_id) for i in timeline(lead)]
    assert kinds == [(InteractionType.ASSIGNMENT, admin.id)] * 2
    assert [i.description for i in timeline(lead)] == [
        "Assigned to ayse. Status new → assigned.",
        "Unassigned (was ayse). Status assigned → new.",
    ]


def test_reassigning_names_both_the_previous_and_the_new_assignee(admin, people):
    lead = make_lead()
    lead_workflow.assign(lead, people["ayse"], actor=admin)
    lead_workflow.assign(lead, people["mehmet"], actor=admin)
    db.session.commit()
    assert timeline(lead)[-1].description == "Assigned to mehmet (was ayse)."


def test_assigning_a_worked_lead_keeps_its_status(admin, people):
    lead = make_lead(status=S.CONTACTED)
    lead_workflow.assign(lead, people["ayse"], actor=admin)
    lead_workflow.assign(lead, None, actor=admin)
    db.session.commit()
    assert db.session.get(FacebookLead, lead.id).status == S.CONTACTED


def test_only_superadmins_assign(people):
    lead = make_lead(assigned_to_id=people["ayse"].id, status=S.ASSIGNED)
    with pytest.raises(NotAllowedError) as refused:
        lead_workflow.assign(lead, people["mehmet"], actor=people["ayse"])
    assert refused.value.status == 403
    db.session.rollback()
    assert db.session.get(FacebookLead, lead.id).assigned_to_id == people["ayse"].id
    assert timeline(lead) == []


def test_a_deactivated_user_cannot_be_given_a_lead(admin, people):
    people["mehmet"].is_active = False
    lead = make_lead()
    with pytest.raises(ValidationError, match="deactivated"):
        lead_workflow.assign(lead, people["mehmet"], actor=admin)
    db.session.rollback()
    assert db.session.get(FacebookLead, lead.id).assigned_to_id is None


def test_assigning_to_the_current_assignee_is_refused(admin, people):
    lead = make_lead(assigned_to_id=people["ayse"].id, status=S.ASSIGNED)
    with pytest.raises(ValidationError, match="already assigned"):
        lead_workflow.assign(lead, people["ayse"], actor=admin)
    with pytest.raises(ValidationError):
        lead_workflow.assign(make_lead(), None, actor=admin)


# --- logged contact -------------------------------------------------------------------------


def test_a_note_needs_text(people):
    lead = make_lead()
    for text in (None, "", "   \n "):
        with pytest.raises(ValidationError, match="needs some text"):
            lead_workflow.add_interaction(
                lead, actor=people["ayse"], interaction_type="note", description=text
            )
    db.session.rollback()
    assert timeline(lead) == []


def test_an_unknown_result_or_type_is_refused(admin):
    lead = make_lead()
    with pytest.raises(ValidationError, match="Unknown result"):
        lead_workflow.add_interaction(lead, actor=admin, interaction_type="call", result="great")
    for kind in ("status_change", "assignment", "reinquiry", "fax"):
        with pytest.raises(ValidationError, match="Log a note"):
            lead_workflow.add_interaction(lead, actor=admin, interaction_type=kind)
    db.session.rollback()
    assert timeline(lead) == []


@pytest.mark.parametrize("status", [S.NEW, S.ASSIGNED], ids=lambda s: s.value)
@pytest.mark.parametrize("kind", ["call", "whatsapp", "email"])
def test_reaching_a_new_or_assigned_lead_makes_it_contacted(admin, status, kind):
    lead = make_lead(status=status)
    interaction = lead_workflow.add_interaction(
        lead, actor=admin, interaction_type=kind, description="Spoke to her", result="reached"
    )
    db.session.commit()
    db.session.expire_all()
    assert lead.status == S.CONTACTED
    assert lead.first_contacted_at is not None
    assert (interaction.interaction_type.value, interaction.result) == (kind, "reached")


def test_an_unanswered_call_records_the_attempt_but_keeps_the_status(admin):
    lead = make_lead(status=S.ASSIGNED)
    lead_workflow.add_interaction(lead, actor=admin, interaction_type="call", result="no_answer")
    db.session.commit()
    db.session.expire_all()
    assert lead.status == S.ASSIGNED
    assert lead.first_contacted_at is not None


def test_reaching_a_qualified_lead_does_not_move_it_back(admin):
    lead = make_lead(status=S.QUALIFIED)
    lead_workflow.add_interaction(lead, actor=admin, interaction_type="call", result="reached")
    db.session.commit()
    assert db.session.get(FacebookLead, lead.id).status == S.QUALIFIED


def test_a_note_does_not_count_as_contact(admin):
    lead = make_lead(status=S.NEW)
    lead_workflow.add_interaction(lead, actor=admin, interaction_type="note", description="VIP")
    db.session.commit()
    db.session.expire_all()
    assert (lead.status, lead.first_contacted_at) == (S.NEW, None)


def test_descriptions_are_trimmed_and_capped(admin):
    lead = make_lead()
    interaction = lead_workflow.add_interaction(
        lead, actor=admin, interaction_type="note", description="  " + "x" * 5000 + "  "
    )
    assert interaction.description == "x" * lead_workflow.MAX_DESCRIPTION


def test_every_change_writes_a_timeline_row_saying_who_what_and_from_what_to_what(admin, people):
    lead = make_lead(status=S.NEW)
    lead_workflow.assign(lead, people["ayse"], actor=admin)
    db.session.commit()
    ayse = people["ayse"]
    lead_workflow.add_interaction(
        lead, actor=ayse, interaction_type="call", description="Wants March", result="reached"
    )
    lead_workflow.change_status(lead, S.QUALIFIED, actor=ayse)
    lead_workflow.add_interaction(lead, actor=ayse, interaction_type="note", description="Sent")
    db.session.commit()
    rows = [(i.user_id, i.interaction_type, i.description, i.result) for i in timeline(lead)]
    assert rows == [
        (admin.id, InteractionType.ASSIGNMENT, "Assigned to ayse. Status new → assigned.", None),
        (ayse.id, InteractionType.CALL, "Wants March", "reached"),
        (ayse.id, InteractionType.STATUS_CHANGE, "Status contacted → qualified.", None),
        (ayse.id, InteractionType.NOTE, "Sent", None),
    ]


# --- optimistic locking ---------------------------------------------------------------------


def test_a_stale_expected_version_is_refused_and_changes_nothing(admin, people):
    lead = make_lead()
    stale = lead.version_id
    lead_workflow.change_status(lead, S.CONTACTED, actor=admin, expected_version=stale)
    db.session.commit()
    attempts = [
        lambda: lead_workflow.change_status(lead, S.LOST, actor=admin, expected_version=stale),
        lambda: lead_workflow.assign(lead, people["ayse"], actor=admin, expected_version=stale),
        lambda: lead_workflow.add_interaction(
            lead, actor=admin, interaction_type="call", result="reached", expected_version=stale
        ),
    ]
    for attempt in attempts:
        with pytest.raises(StaleLeadError) as refused:
            attempt()
        assert refused.value.status == 409 and refused.value.code == "conflict"
    db.session.rollback()
    db.session.expire_all()
    assert (lead.status, lead.assigned_to_id, lead.version_id) == (S.CONTACTED, None, stale + 1)
    assert len(timeline(lead)) == 1


def concurrent_edit(app, lead_id: int, admin_id: int, first, second):
    """Two sessions load the same lead; the other one commits a change, then this one, still
    holding the row as it read it, changes it too and flushes.

    PostgreSQL runs both transactions side by side. SQLite lets one transaction write at a
    time (BEGIN IMMEDIATE), so there this session's read transaction ends, its objects kept,
    before the other one writes."""
    with app.app_context():
        mine = db.session.get(FacebookLead, lead_id)
        me = db.session.get(User, admin_id)
        assert mine.version_id == 1
        if db.engine.dialect.name == "sqlite":
            db.session().expire_on_commit = False
            db.session.commit()
        with app.app_context():  # another request, another session
            theirs = db.session.get(FacebookLead, lead_id)
            first(theirs, db.session.get(User, admin_id))
            db.session.commit()
        with pytest.raises(StaleLeadError):
            second(mine, me)
        db.session.rollback()


@pytest.mark.parametrize(
    "second",
    [
        lambda lead, me: lead_workflow.change_status(lead, S.LOST, actor=me),
        lambda lead, me: lead_workflow.add_interaction(
            lead, actor=me, interaction_type="note", description="Late note"
        ),
    ],
    ids=["status", "note"],
)
def test_a_concurrent_update_raises_stale_instead_of_overwriting(app, users, second):
    with app.app_context():
        lead_id = make_lead().id
    concurrent_edit(
        app,
        lead_id,
        users["admin"],
        lambda lead, me: lead_workflow.change_status(lead, S.CONTACTED, actor=me),
        second,
    )
    with app.app_context():
        lead = db.session.get(FacebookLead, lead_id)
        assert (lead.status, lead.version_id) == (S.CONTACTED, 2)
        assert [i.description for i in timeline(lead)] == ["Status new → contacted."]
        assert stored_counters() == counted_from_leads()


def test_a_concurrent_assignment_is_not_silently_overwritten(app, users):
    with app.app_context():
        lead_id = make_lead().id
    ayse, mehmet = users["ayse"], users["mehmet"]
    concurrent_edit(
        app,
        lead_id,
        users["admin"],
        lambda lead, me: lead_workflow.assign(lead, db.session.get(User, ayse), actor=me),
        lambda lead, me: lead_workflow.assign(lead, db.session.get(User, mehmet), actor=me),
    )
    with app.app_context():
        assert db.session.get(FacebookLead, lead_id).assigned_to_id == ayse
        assert stored_counters() == counted_from_leads()


# --- rescoring ------------------------------------------------------------------------------


def test_a_reached_call_raises_engagement_and_the_stored_score(admin):
    lead = make_lead(service="hair_transplant", age=30)
    lead_workflow.rescore(lead)
    db.session.commit()
    before, engagement = lead.score, lead.score_breakdown["engagement"]
    lead_workflow.add_interaction(lead, actor=admin, interaction_type="call", result="reached")
    db.session.commit()
    db.session.expire_all()
    assert lead.score_breakdown["engagement"] == engagement + 6
    assert lead.score == before + 6
    assert lead.score == sum(lead.score_breakdown.values())


def test_every_interaction_recomputes_the_score_from_all_logged_results(admin):
    lead = make_lead(score=0, score_breakdown=None)
    lead_workflow.add_interaction(lead, actor=admin, interaction_type="note", description="hi")
    db.session.commit()
    assert lead.score_breakdown is not None
    assert lead.score == sum(lead.score_breakdown.values()) > 0
    for result in ("no_answer", "callback", "reached"):
        lead_workflow.add_interaction(lead, actor=admin, interaction_type="call", result=result)
    db.session.commit()
    db.session.expire_all()
    assert lead.score_breakdown["engagement"] == 1 + 4 + 6
    assert lead.score == sum(lead.score_breakdown.values())


# --- counters -------------------------------------------------------------------------------


def raw_lead(n: int, rng: random.Random) -> dict:
    phone = f"+90532{rng.randrange(40):07d}"  # few phones: re-inquiries happen
    fields = [
        {"name": "full_name", "values": [f"Lead {n}"]},
        {"name": "phone_number", "values": [phone]},
    ]
    if rng.random() < 0.1:
        fields.append({"name": "email", "values": ["test@meta.com"]})  # a Meta test lead
    return {"id": f"7{n:09d}", "created_time": "2026-11-26T10:00:00+0000", "field_data": fields}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counters_stay_equal_to_a_group_by_over_the_leads(people, seed):
    rng = random.Random(seed)
    sources = [LeadSource(factories.make_distributor().id, "1", "2"), LeadSource(None)]
    db.session.commit()
    assignees = [people["ayse"], people["mehmet"], None]
    admin, next_id = people["admin"], 0
    for _ in range(120):
        leads = list(db.session.scalars(sa.select(FacebookLead)))
        action = rng.random()
        try:
            if action < 0.2 or not leads:
                batch = [raw_lead(next_id + i, rng) for i in range(rng.randint(1, 4))]
                batch.append(raw_lead(rng.randrange(next_id + 1), rng))  # often a repeat
                next_id += len(batch)
                ingest_raw_leads(batch, rng.choice(sources))
            elif action < 0.6:
                lead = rng.choice(leads)
                target = rng.choice(sorted(lead_workflow.TRANSITIONS[lead.status]) or [S.NEW])
                lead_workflow.change_status(lead, target, actor=admin)
            elif action < 0.9:
                lead_workflow.assign(rng.choice(leads), rng.choice(assignees), actor=admin)
            else:
                lead = rng.choice(leads)
                lead_workflow.add_interaction(
                    lead, actor=admin, interaction_type="call", result="reached"
                )
        except (InvalidTransitionError, ValidationError):
            db.session.rollback()
            continue
        if rng.random() < 0.15:
            db.session.rollback()  # an abandoned request: its counter moves go with it
        else:
            db.session.commit()
        assert stored_counters() == counted_from_leads()
    statuses = {key[2] for key in counted_from_leads()}
    hidden = {key[3] for key in counted_from_leads()}
    assert len(statuses) >= 4 and hidden == {False, True}


def test_status_history_is_data_and_milestones_follow_the_pipeline(app_ctx, users):
    admin = db.session.get(User, users["admin"])
    lead = factories.make_lead()
    db.session.commit()
    lead_workflow.assign(lead, db.session.get(User, users["ayse"]), actor=admin)
    lead_workflow.add_interaction(lead, actor=admin, interaction_type="call", result="reached")
    lead_workflow.change_status(lead, "qualified", actor=admin)
    lead_workflow.change_status(lead, "contacted", actor=admin)  # back a step
    lead_workflow.change_status(lead, "lost", actor=admin)
    db.session.commit()
    assert lead.qualified_at is not None and lead.lost_at is not None  # reached, then lost
    lead_workflow.assign(lead, None, actor=admin)
    lead_workflow.change_status(lead, "new", actor=admin)  # reopened
    db.session.commit()
    assert lead.lost_at is None and lead.qualified_at is not None
    rows = db.session.execute(
        sa.select(LeadInteraction.from_status, LeadInteraction.to_status)
        .where(LeadInteraction.lead_id == lead.id, LeadInteraction.to_status.is_not(None))
        .order_by(LeadInteraction.id)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("new", "assigned"),
        ("assigned", "contacted"),
        ("contacted", "qualified"),
        ("qualified", "contacted"),
        ("contacted", "lost"),
        ("lost", "new"),
    ]
