"""First-contact targets by score band, in working time, with a frozen clock; breaches
stored once, announced, and re-routed once when the rule says so."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app import events
from app.extensions import db
from app.models import FacebookLead, LeadInteraction, OutboxMail, ResponseTarget, Role, User
from app.services import accounts, lead_workflow, mail_render, response_targets, work_hours
from app.services.meta_lead_service import LeadSource, ingest_raw_leads
from app.services.routing import rules
from app.tasks import routing_jobs
from tests import factories
from tests.services.test_meta_lead_service import raw_lead

# Friday 4 December 2026, 17:58 in Istanbul (UTC+3): two minutes before the office closes.
FRIDAY_LATE = datetime(2026, 12, 4, 14, 58, tzinfo=UTC)
MONDAY_9 = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


@pytest.fixture
def source(app_ctx):
    distributor = factories.make_distributor()
    db.session.commit()
    return LeadSource(distributor.id, "100000000000001", "200000000000001", None)


@pytest.fixture
def staff(app_ctx):
    made = [factories.make_user(f"staff{i}") for i in range(2)]
    db.session.commit()
    return [u.id for u in made]


def fresh_raw(lead_id, now, minutes_ago=10, **kw):
    raw = raw_lead(lead_id, **kw)
    created = now - timedelta(minutes=minutes_ago)
    raw["created_time"] = created.strftime("%Y-%m-%dT%H:%M:%S+0000")
    return raw


def ingest(source, lead_ids, now, **kw):
    raws = [fresh_raw(i, now, phone=f"0532 {i:07d}", **kw) for i in lead_ids]
    result = ingest_raw_leads(raws, source, now=now)
    db.session.commit()
    return result


def target_of(meta_lead_id: str) -> ResponseTarget | None:
    db.session.expire_all()
    lead = db.session.scalar(
        sa.select(FacebookLead).where(FacebookLead.meta_lead_id == meta_lead_id)
    )
    return db.session.get(ResponseTarget, lead.id)


@pytest.mark.parametrize(
    ("score", "minutes"), [(95, 5), (70, 5), (69, 30), (40, 30), (39, 240), (0, 240)]
)
def test_the_target_follows_the_score_band(app_ctx, score, minutes):
    assert response_targets.target_minutes(score) == minutes


def test_a_fresh_lead_gets_a_target_counted_in_the_team_hours(app, source):
    app.config["TEAM_WORK_HOURS"] = "12345 09:00-18:00"
    ingest(source, [1], FRIDAY_LATE)
    target = target_of("1")
    minutes = target.target_minutes
    assert target.started_at == FRIDAY_LATE
    # Two minutes on Friday, the rest from Monday 09:00.
    assert target.due_at == MONDAY_9 + timedelta(minutes=minutes - 2)


def test_a_routed_lead_is_counted_in_its_owner_hours(app, source, staff):
    app.config["TEAM_WORK_HOURS"] = "12345 09:00-18:00"
    owner = db.session.get(User, staff[0])
    owner.work_days = "1234567"  # works every day, all day
    rules.create_rule(rules.RuleInput(name="All", staff_ids=[staff[0]]))
    db.session.commit()
    ingest(source, [1], FRIDAY_LATE)
    target = target_of("1")
    assert target.due_at == FRIDAY_LATE + timedelta(minutes=target.target_minutes)
    assert target.rule_id is not None


def test_deleting_the_rule_clears_it_from_the_targets_it_set(source, staff):
    """The target keeps no foreign key to its rule (migration 0030): the rule's deletion
    clears it, so a rule made later with the same id (SQLite reuses the highest) cannot
    re-route leads it never routed."""
    other = LeadSource(factories.make_distributor().id, "100000000000002", "200000000000002")
    kept = rules.create_rule(
        rules.RuleInput(name="Kept", staff_ids=[staff[0]], distributor_id=other.distributor_id)
    )
    gone = rules.create_rule(rules.RuleInput(name="Gone", staff_ids=[staff[1]]))
    db.session.commit()
    ingest(source, [1], FRIDAY_LATE)
    ingest(other, [2], FRIDAY_LATE)
    assert (target_of("1").rule_id, target_of("2").rule_id) == (gone.id, kept.id)
    rules.delete_rule(gone)
    db.session.commit()
    assert (target_of("1").rule_id, target_of("2").rule_id) == (None, kept.id)


def test_old_leads_test_leads_and_reinquiries_get_no_target(source):
    ingest(source, [1], FRIDAY_LATE, minutes_ago=60 * 30)
    test_lead = fresh_raw(2, FRIDAY_LATE, phone="0532 0000002", email="test@meta.com")
    ingest_raw_leads([test_lead], source, now=FRIDAY_LATE)  # Meta's test tool
    ingest_raw_leads([fresh_raw(3, FRIDAY_LATE, phone="0532 0000003")], source, now=FRIDAY_LATE)
    ingest_raw_leads([fresh_raw(4, FRIDAY_LATE, phone="0532 0000003")], source, now=FRIDAY_LATE)
    db.session.commit()
    assert target_of("1") is None and target_of("2") is None and target_of("4") is None
    assert target_of("3") is not None


def test_a_missed_target_is_stored_once_announced_and_on_the_timeline(source):
    ingest(source, [1, 2], FRIDAY_LATE)
    contacted = db.session.scalar(sa.select(FacebookLead).where(FacebookLead.meta_lead_id == "2"))
    admin = factories.make_user("boss", role=factories.Role.SUPERADMIN)
    lead_workflow.add_interaction(
        contacted, actor=admin, interaction_type="call", result="no_answer"
    )
    db.session.commit()
    due = target_of("1").due_at
    assert response_targets.record_breaches(due - timedelta(seconds=1)).breached == 0
    result = response_targets.record_breaches(due)
    breached = [e for e in events.pending() if e[0] == "sla_breached"]
    db.session.commit()
    assert result.breached == 1 and len(breached) == 1
    assert breached[0][2] == [events.DASHBOARD_ROOM]  # unassigned: the superadmins hear
    assert target_of("1").breached_at == due and target_of("2").breached_at is None
    assert response_targets.record_breaches(due + timedelta(hours=1)).breached == 0
    row = db.session.scalar(
        sa.select(LeadInteraction).where(LeadInteraction.message_code == "response_breached")
    )
    assert row.message_params == {"minutes": target_of("1").target_minutes}


def test_a_breach_is_rerouted_once_when_the_rule_says_so(source, staff):
    rules.create_rule(rules.RuleInput(name="All", staff_ids=staff, reroute_on_breach=True))
    db.session.commit()
    ingest(source, [1], FRIDAY_LATE)
    first_owner = db.session.scalar(sa.select(FacebookLead.assigned_to_id))
    due = target_of("1").due_at
    assert routing_jobs.check_response_targets(now=due) == 1
    lead = db.session.scalar(sa.select(FacebookLead))
    assert lead.assigned_to_id == ({*staff} - {first_owner}).pop()
    assert target_of("1").rerouted_at == due and target_of("1").breached_user_id == first_owner
    codes = db.session.scalars(
        sa.select(LeadInteraction.message_code).where(LeadInteraction.lead_id == lead.id)
    ).all()
    assert sorted(c for c in codes if c) == [
        "rerouted_breach", "response_breached", "routed_round_robin",
    ]  # fmt: skip
    assert routing_jobs.check_response_targets(now=due + timedelta(hours=5)) == 0


def test_the_owner_a_missed_target_took_a_lead_from_is_told_why(source, staff):
    for user_id in staff:
        db.session.get(User, user_id).email = f"u{user_id}@example.com"
    rules.create_rule(rules.RuleInput(name="All", staff_ids=staff, reroute_on_breach=True))
    db.session.commit()
    ingest(source, [1], FRIDAY_LATE)
    first_owner = db.session.scalar(sa.select(FacebookLead.assigned_to_id))
    db.session.execute(sa.delete(OutboxMail))
    db.session.commit()
    assert routing_jobs.check_response_targets(now=target_of("1").due_at) == 1
    mails = db.session.scalars(
        sa.select(OutboxMail).where(OutboxMail.kind.in_(["lead_changed", "assignment"]))
    ).all()
    by_kind = {m.kind: m for m in mails}
    assert len(mails) == 2 and by_kind["lead_changed"].user_id == first_owner
    assert by_kind["assignment"].user_id != first_owner
    new_owner = db.session.get(User, by_kind["assignment"].user_id).username
    told = mail_render.render(by_kind["lead_changed"]).text
    assert f"was given to {new_owner}: its first-contact target was missed." in told
    routing_jobs.check_response_targets(now=target_of("1").due_at)  # the same run again
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 2


def test_the_timer_turns_from_ok_to_soon_to_late_and_stops_at_first_contact(source):
    ingest(source, [1], FRIDAY_LATE)
    lead = db.session.scalar(sa.select(FacebookLead))
    target = lead.response_target
    start, due = target.started_at, target.due_at
    assert response_targets.timer(lead, start).state == "ok"
    assert response_targets.timer(lead, due - timedelta(seconds=30)).state == "soon"
    assert response_targets.timer(lead, due + timedelta(seconds=1)).state == "late"
    lead.first_contacted_at = due
    assert response_targets.timer(lead, due) is None


def test_working_minutes_between_match_the_stored_target(app, source):
    app.config["TEAM_WORK_HOURS"] = "12345 09:00-18:00"
    ingest(source, [1], FRIDAY_LATE)
    target = target_of("1")
    team = work_hours.team_schedule()
    spent = work_hours.working_minutes_between(team, target.started_at, target.due_at)
    assert spent == pytest.approx(target.target_minutes)


def test_superadmins_get_one_mail_per_batch_of_breaches(source):
    admin = accounts.create_user("boss", "correct-horse", role=Role.SUPERADMIN)
    admin.email = "boss@example.com"
    ingest(source, [1, 2], FRIDAY_LATE)
    due = max(t.due_at for t in db.session.scalars(sa.select(ResponseTarget)))
    response_targets.record_breaches(due)
    db.session.commit()
    breach_mails = sa.select(OutboxMail).where(OutboxMail.kind == "sla_breached")
    mails = db.session.scalars(breach_mails).all()  # (the new-lead alerts aside)
    assert [(m.kind, m.recipient) for m in mails] == [("sla_breached", "boss@example.com")]
    content = mail_render.render(mails[0])
    assert "2 leads missed their first-contact target" in content.subject
    assert "/facebook-leads/1" in content.text and "/facebook-leads/2" in content.text
    response_targets.record_breaches(due)  # nothing new: no second mail
    assert len(db.session.scalars(breach_mails).all()) == 1
