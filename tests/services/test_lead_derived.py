"""The one derived-data place: counters, search terms, score and milestones follow a lead's own
fields, for one lead and for a set changed by one statement (checked against a recount)."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, LeadCounter, LeadInteraction, LeadStatus
from app.services import lead_counters, lead_derived, lead_search
from tests import factories

S = LeadStatus
LEADS = FacebookLead.__table__


def counters() -> dict:
    return {
        (c.distributor_id, c.assigned_to_id, c.status, c.hidden): c.n
        for c in db.session.scalars(sa.select(LeadCounter))
        if c.n
    }


def recounted() -> dict:
    lead_counters.recount()
    return counters()


def matches(q: str) -> list[int]:
    return list(db.session.scalars(sa.select(FacebookLead.id).where(lead_search.matching(q))))


def test_a_lead_edited_by_hand_is_rescored_reindexed_and_recounted(app_ctx):
    lead = factories.make_lead(first_name="Thomas", email="thomas.schmidt@gmail.con", score=0)
    db.session.commit()
    before = lead_derived.snapshot(lead)
    lead.first_name, lead.email = "Tomasz", "tomasz@example.com"
    lead_derived.prepare(lead, before)
    db.session.flush()
    lead_derived.settle(lead, before)
    db.session.commit()
    assert lead.score == sum(lead.score_breakdown.values()) > 0
    assert matches("tomasz") == [lead.id] and matches("thomas") == []
    assert counters() == recounted()


def test_one_statement_moving_many_leads_keeps_counters_and_milestones_right(app_ctx):
    leads = [factories.make_lead(status=S.CONTACTED) for _ in range(5)]
    leads[0].qualified_at = datetime.now(UTC) - timedelta(days=3)  # reached qualified before
    db.session.commit()
    before = {lead.id: lead_counters.key_of(lead) for lead in leads}
    now = datetime.now(UTC)
    db.session.execute(
        sa.update(LEADS)
        .where(LEADS.c.id.in_(before))
        .values(
            status=S.QUALIFIED.value, **lead_derived.milestone_values(S.QUALIFIED, now, LEADS.c)
        )
    )
    db.session.expire_all()
    moved = db.session.scalars(sa.select(FacebookLead).where(FacebookLead.id.in_(before))).all()
    lead_derived.moved_counts((before[lead.id], lead_counters.key_of(lead)) for lead in moved)
    db.session.commit()
    assert counters() == recounted()
    by_id = {lead.id: lead for lead in moved}
    assert by_id[leads[0].id].qualified_at < now - timedelta(days=2)  # the first time stays
    assert all(by_id[lead.id].qualified_at >= now - timedelta(seconds=1) for lead in leads[1:])


def test_set_status_keeps_reached_milestones_and_clears_lost_on_reopening(app_ctx):
    lead = factories.make_lead(status=S.CONTACTED)
    lead_derived.set_status(lead, S.QUALIFIED)
    reached = lead.qualified_at
    lead_derived.set_status(lead, S.CONTACTED)
    lead_derived.set_status(lead, S.QUALIFIED)
    assert lead.qualified_at == reached
    lead_derived.set_status(lead, S.LOST)
    assert lead.lost_at is not None
    lead_derived.set_status(lead, S.NEW)
    assert lead.lost_at is None and lead.qualified_at == reached


def test_grouped_timeline_rows_give_each_lead_its_group_values_across_statements(
    app_ctx, monkeypatch
):
    monkeypatch.setattr(lead_derived, "GROUPS_PER_INSERT", 2)  # 4 groups with leads: 2 statements
    leads = [factories.make_lead(first_name=f"Grup{i}") for i in range(7)]
    db.session.flush()
    now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    groups = [
        ([lead.id for lead in leads[i : i + 2]], row_values(f"person{i}", now))
        for i in range(0, 7, 2)
    ]
    groups.append(([], row_values("nobody", now)))  # an empty group writes nothing
    lead_derived.log_grouped_rows(groups)
    db.session.flush()
    rows = db.session.execute(
        sa.select(
            LeadInteraction.lead_id, LeadInteraction.message_params, LeadInteraction.created_at
        )
        .where(LeadInteraction.message_code == "routed_round_robin")
        .order_by(LeadInteraction.lead_id)
    ).all()
    assert [r.lead_id for r in rows] == [lead.id for lead in leads]
    expected = {lead.id: f"person{(n // 2) * 2}" for n, lead in enumerate(leads)}
    assert all(r.message_params["user"] == expected[r.lead_id] for r in rows)
    assert {r.created_at for r in rows} == {now}


def test_shared_timeline_rows_store_what_rows_written_one_by_one_store(app_ctx):
    """The shared form (each group's values once, SQLite's read out of JSON) stores the same
    text, JSON, time and nulls as an INSERT of each row, for awkward values."""
    user = factories.make_user("O'Brien")
    leads = [factories.make_lead() for _ in range(8)]
    db.session.flush()
    ids = [lead.id for lead in leads]
    awkward = row_values('Ö\'Brien "x" \\ 🙂\n‘quoted’', datetime(2026, 12, 3, 9, 0, 1, 5, UTC))
    awkward["message_params"] |= {"n": 3, "nested": {"list": [1, "ş", None]}, "none": None}
    plain = row_values("Ayşe", datetime(2026, 1, 31, 23, 59, 59, 999999, UTC)) | {
        "user_id": user.id,
        "description": None,
    }
    backwards = dict(reversed(plain.items()))  # the same columns in another order
    lead_derived.log_shared_rows([(ids[:3], awkward), ([], plain), (ids[3:4], backwards)])
    lead_derived.log_system_rows([{"lead_id": ids[4]} | awkward, {"lead_id": ids[5]} | plain])
    stored = {
        lead_id: rest
        for lead_id, *rest in db.session.execute(
            sa.text(
                "SELECT lead_id, user_id, interaction_type, description, from_status, to_status,"
                " message_code, CAST(message_params AS TEXT), created_at FROM lead_interactions"
            )
        )
    }
    assert sorted(stored) == ids[:6]
    assert stored[ids[0]] == stored[ids[1]] == stored[ids[2]] == stored[ids[4]]
    assert stored[ids[3]] == stored[ids[5]] != stored[ids[4]]
    read = db.session.get(
        LeadInteraction,
        db.session.scalar(sa.select(LeadInteraction.id).where(LeadInteraction.lead_id == ids[0])),
    )
    assert read.message_params == awkward["message_params"]
    assert read.created_at == awkward["created_at"]


def row_values(user: str, now: datetime) -> dict:
    return {
        "user_id": None,
        "interaction_type": "assignment",
        "description": f"Assigned to {user}",
        "from_status": "new",
        "to_status": "assigned",
        "message_code": "routed_round_robin",
        "message_params": {"user": user, "rule": "R"},
        "created_at": now,
    }
