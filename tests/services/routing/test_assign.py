"""Routing as leads are stored (poll, webhook, backfill) and the backlog (auto-assign)."""

import threading
from collections import Counter
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from app import events
from app.extensions import db
from app.models import FacebookLead, LeadInteraction, LeadStatus, RoutingRule, User
from app.services import lead_counters
from app.services.meta_lead_service import LeadSource, ingest_raw_leads
from app.services.routing import assign, backlog, rules
from tests import factories
from tests.services.test_meta_lead_service import raw_lead

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def source(app_ctx):
    distributor = factories.make_distributor()
    db.session.commit()
    return LeadSource(distributor.id, "100000000000001", "200000000000001", None)


@pytest.fixture
def staff(app_ctx):
    made = [factories.make_user(f"staff{i}") for i in range(3)]
    db.session.commit()
    return [u.id for u in made]


def add_rule(staff_ids, **values):
    rule = rules.create_rule(rules.RuleInput(**({"name": "All", "staff_ids": staff_ids} | values)))
    db.session.commit()
    return rule


def raws(start, count, **kw):
    return [raw_lead(start + i, phone=f"0532 {start + i:07d}", **kw) for i in range(count)]


def owners() -> dict[str, int | None]:
    db.session.rollback()
    query = sa.select(FacebookLead.meta_lead_id, FacebookLead.assigned_to_id)
    return dict(db.session.execute(query).all())


def test_fresh_leads_are_routed_round_robin_with_a_timeline_row(source, staff):
    add_rule(staff)
    ingest_raw_leads(raws(100, 7), source, now=NOW)
    db.session.commit()
    counts = Counter(owners().values())
    assert sorted(counts.values()) == [2, 2, 3] and set(counts) == set(staff)
    lead = db.session.scalar(sa.select(FacebookLead).where(FacebookLead.meta_lead_id == "100"))
    assert lead.status == LeadStatus.ASSIGNED
    row = db.session.scalar(sa.select(LeadInteraction).where(LeadInteraction.lead_id == lead.id))
    assert row.message_code == "routed_round_robin" and row.message_params["rule"] == "All"
    assert (row.from_status, row.to_status, row.user_id) == ("new", "assigned", None)
    # the status counters follow the owners (what the cards and open loads read)
    assert assign.open_loads(staff) == dict(counts)


def test_the_turn_survives_a_restart(source, staff):
    add_rule(staff)
    ingest_raw_leads(raws(100, 2), source, now=NOW)
    db.session.commit()
    db.session.remove()  # a new process: only the stored cursor remembers
    ingest_raw_leads(raws(200, 1), source, now=NOW)
    db.session.commit()
    found = owners()
    assert [found["100"], found["101"], found["200"]] == staff


def test_old_leads_test_leads_and_no_match_stay_unassigned(source, staff):
    add_rule(staff, country_code="DE")
    ingest_raw_leads(raws(100, 2), source, now=NOW)  # Turkish phones: no match
    old = raws(300, 1, minutes_ago=60 * 25)  # a backfill: stored quietly
    ingest_raw_leads(old, source, now=NOW)
    db.session.commit()
    assert set(owners().values()) == {None}


def test_conditions_pick_the_rule_and_a_full_rule_falls_through(source, staff):
    add_rule([staff[0]], name="Turkish", country_code="TR", capacity=1)
    add_rule([staff[1]], name="Rest")
    ingest_raw_leads(raws(100, 3), source, now=NOW)
    db.session.commit()
    assert sorted(Counter(owners().values()).items()) == [(staff[0], 1), (staff[1], 2)]


def test_inactive_away_off_shift_and_full_staff_are_skipped(source, staff):
    add_rule(staff + [factories.make_user("night").id])
    users = [db.session.get(User, uid) for uid in staff]
    night = db.session.scalar(sa.select(User).where(User.username == "night"))
    users[0].is_active = False
    users[1].away_until = NOW + timedelta(hours=1)
    users[2].capacity = 1
    night.work_days, night.work_start, night.work_end = "1234567", time(22), time(6)
    db.session.commit()
    ingest_raw_leads(raws(100, 3), source, now=NOW)  # 15:00 in Istanbul
    db.session.commit()
    assert sorted(owners().items()) == [("100", staff[2]), ("101", None), ("102", None)]


def test_a_reinquiry_goes_to_the_original_owner_without_a_turn(source, staff):
    add_rule(staff)
    ingest_raw_leads([raw_lead(1, phone="0532 000 00 01", minutes_ago=30)], source, now=NOW)
    ingest_raw_leads([raw_lead(2, phone="0532 000 00 01")], source, now=NOW)
    ingest_raw_leads([raw_lead(3, phone="0532 000 00 03")], source, now=NOW)
    db.session.commit()
    found = owners()
    assert found["1"] == found["2"] == staff[0] and found["3"] == staff[1]
    repeat = db.session.scalar(sa.select(FacebookLead).where(FacebookLead.meta_lead_id == "2"))
    row = db.session.scalar(
        sa.select(LeadInteraction).where(
            LeadInteraction.lead_id == repeat.id, LeadInteraction.message_code.is_not(None)
        )
    )
    assert row.message_code == "routed_reinquiry_owner"


def test_a_reinquiry_of_a_deactivated_owner_stays_unassigned(source, staff):
    add_rule(staff[:1])
    ingest_raw_leads([raw_lead(1, phone="0532 000 00 01", minutes_ago=30)], source, now=NOW)
    db.session.get(User, staff[0]).is_active = False
    db.session.commit()
    ingest_raw_leads([raw_lead(2, phone="0532 000 00 01")], source, now=NOW)
    db.session.commit()
    assert owners()["2"] is None


def test_the_routed_owner_hears_of_the_new_lead(source, staff):
    add_rule(staff[:1])
    ingest_raw_leads(raws(100, 1), source, now=NOW)
    created = [e for e in events.pending() if e[0] == "lead_created"]
    assert created[0][2] == [events.DASHBOARD_ROOM, f"user:{staff[0]}"]


def test_a_stale_cursor_is_refused_and_the_page_routed_again(source, staff):
    rule = add_rule(staff)
    rows = [{"meta_created_at": NOW, "score": 50} for _ in range(2)]
    read = {rule.id: -1}
    assign.claim_cursors(read, {rule.id: 1})  # another process took two turns
    with pytest.raises(assign.CursorMoved):
        assign.claim_cursors(read, {rule.id: 0})
    decisions = assign.route_rows(rows, NOW)
    assert [d.user_id for d in decisions] == [staff[2], staff[0]]
    assert db.session.get(RoutingRule, rule.id).cursor == 0


def test_cursors_are_stored_all_or_none(source, staff):
    first, second = add_rule(staff[:2]), add_rule(staff[1:], name="Others")
    read = {first.id: -1, second.id: -1}
    assign.claim_cursors(read, {second.id: 0})  # another process moved the second one
    with pytest.raises(assign.CursorMoved):
        assign.claim_cursors(read, {first.id: 1, second.id: 1})
    assert (db.session.get(RoutingRule, first.id).cursor, second.cursor) == (-1, 0)
    assign.claim_cursors({first.id: -1, second.id: 0}, {first.id: 1, second.id: 1})
    assert (first.cursor, second.cursor) == (1, 1)


def test_webhook_and_poll_racing_give_each_lead_one_owner(app, source, staff):
    add_rule(staff)
    batch = raws(500, 60)
    barrier, errors = threading.Barrier(2), []

    def ingest(chunk):
        with app.app_context():
            try:
                barrier.wait()
                for start in range(0, len(batch), chunk):
                    ingest_raw_leads(batch[start : start + chunk], source, now=NOW)
                    db.session.commit()
            except Exception as error:  # surfaced below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=ingest, args=(n,)) for n in (1, 20)]  # webhook, poll
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    found = owners()
    assert len(found) == 60 and None not in found.values()
    timeline = db.session.execute(
        sa.select(LeadInteraction.lead_id, sa.func.count())
        .where(LeadInteraction.message_code == "routed_round_robin")
        .group_by(LeadInteraction.lead_id)
    ).all()
    assert len(timeline) == 60 and {n for _, n in timeline} == {1}
    spread = Counter(found.values()).values()
    assert max(spread) - min(spread) <= 2  # a lost insert may have spent a turn
    assert lead_counters.recount() == 60


def test_two_processes_routing_at_once_never_overfill_a_capacity(app, source, staff):
    """Least open load keeps its cursor where it was, so the cursor claim cannot tell two
    processes apart: the rules are locked while a page is routed (PostgreSQL; SQLite has
    one writer), and the second process sees the first one's leads."""
    add_rule(staff[:2], strategy="least_loaded", capacity=4)
    batch = raws(700, 30)
    barrier, errors = threading.Barrier(2), []

    def ingest(part):
        with app.app_context():
            try:
                barrier.wait()
                for raw in part:
                    ingest_raw_leads([raw], source, now=NOW)
                    db.session.commit()
            except Exception as error:  # surfaced below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=ingest, args=(batch[i::2],)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    spread = Counter(owner for owner in owners().values() if owner is not None)
    assert spread == {staff[0]: 4, staff[1]: 4}


def test_auto_assign_routes_the_backlog_once(source, staff, runner):
    ingest_raw_leads(raws(100, 5, minutes_ago=60 * 48), source, now=NOW)  # old: unrouted
    db.session.commit()
    add_rule(staff[:2], name="Fresh only")
    result = backlog.assign_backlog_page(0, NOW)
    assert (result.seen, result.assigned) == (5, 0)  # old leads need a backlog rule
    db.session.rollback()
    add_rule(staff[2:], name="Backlog", include_backlog=True)
    out = runner.invoke(args=["leads", "auto-assign"])
    assert out.exit_code == 0 and "Assigned 5 of 5" in out.output
    db.session.remove()
    assert set(owners().values()) == {staff[2]}
    assert assign.open_loads(staff) == {staff[2]: 5}
    again = runner.invoke(args=["leads", "auto-assign"])
    assert "Assigned 0 of 0" in again.output


def test_cli_adds_and_lists_rules(app, staff, runner):
    out = runner.invoke(
        args=["routing", "add-rule", "Hair DE", "--strategy", "least_loaded",
              "--staff", "staff0,staff1", "--treatment", "hair_transplant", "--country", "de",
              "--capacity", "5"]
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    listed = runner.invoke(args=["routing", "list"]).output
    assert "Hair DE: least_loaded [staff0,staff1]" in listed and "country=DE" in listed
    bad = runner.invoke(
        args=["routing", "add-rule", "X", "--strategy", "round_robin", "--staff", "ghost"]
    )
    assert bad.exit_code == 1 and "No user named 'ghost'" in bad.output


def test_auto_assign_runs_as_its_own_command(app):
    # No application context around it, as from a shell: the command pushes its own.
    out = app.test_cli_runner().invoke(args=["leads", "auto-assign"])
    assert out.exit_code == 0, out.output
    assert "Assigned 0 of 0" in out.output
