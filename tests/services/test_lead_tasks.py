"""Follow-ups: the "when?" quick picks in the app's time zone, who owns a follow-up, how they
move with the lead, close with a contact or a closed lead, and what "My day" lists."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import ValidationError
from app.extensions import db
from app.models import LeadStatus, LeadTask, TaskKind, User
from app.services import lead_tasks, lead_work, lead_workflow
from app.services.lead_workflow import InvalidTransitionError, StaleLeadError
from tests import factories

IST = "Europe/Istanbul"
ZONES = ["Europe/Istanbul", "Europe/Berlin", "America/New_York", "Asia/Dubai", "UTC"]


def at(text: str, tz: str = IST) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def local(value: datetime, tz: str = IST) -> str:
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def people(app_ctx, users):
    return {name: db.session.get(User, user_id) for name, user_id in users.items()}


def assigned_lead(people, who="ayse", **values):
    lead = factories.make_lead(**values)
    lead_workflow.assign(lead, people[who], actor=people["admin"])
    return lead


def open_tasks(lead) -> list[LeadTask]:
    return list(
        db.session.scalars(
            sa.select(LeadTask).where(LeadTask.lead_id == lead.id, LeadTask.done_at.is_(None))
        )
    )


# --- quick picks ----------------------------------------------------------------------------


def test_in_one_hour_is_one_hour_from_now():
    now = at("2026-12-02T09:15")
    assert lead_tasks.due_from_pick("in_1h", None, now=now, tz=IST) == now + timedelta(hours=1)


def test_this_evening_is_18_local_today_before_18_and_tomorrow_after():
    assert local(lead_tasks.due_from_pick("evening", None, now=at("2026-12-02T09:00"), tz=IST)) == (
        "2026-12-02 18:00"
    )
    late = lead_tasks.due_from_pick("evening", None, now=at("2026-12-02T19:30"), tz=IST)
    assert local(late) == "2026-12-03 18:00"


def test_tomorrow_is_10_local_even_just_before_midnight_utc():
    # 23:30 UTC is already the next day in Istanbul (UTC+3): "tomorrow" follows the local day.
    now = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)
    assert local(lead_tasks.due_from_pick("tomorrow", None, now=now, tz=IST)) == "2026-12-04 10:00"


def test_tomorrow_10_stays_10_across_a_daylight_saving_change():
    now = at("2026-03-28T12:00", "Europe/Berlin")  # clocks go forward in the night to the 29th
    due = lead_tasks.due_from_pick("tomorrow", None, now=now, tz="Europe/Berlin")
    assert local(due, "Europe/Berlin") == "2026-03-29 10:00"
    assert due - now == timedelta(hours=21)  # one hour fewer than the wall clocks say


def test_a_chosen_time_is_read_in_the_app_time_zone():
    due = lead_tasks.due_from_pick("at", "2026-12-05T14:30", now=at("2026-12-02T09:00"), tz=IST)
    assert due == datetime(2026, 12, 5, 11, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("pick", "text", "message"),
    [
        ("at", "", "Give the date and time"),
        ("at", "tomorrow-ish", "Give the date and time"),
        ("at", "2026-12-01T10:00", "must be in the future"),
        ("at", "2028-01-01T10:00", "within a year"),
        ("soon", None, "Choose when"),
    ],
)
def test_an_impossible_pick_is_refused(app_ctx, pick, text, message):
    with pytest.raises(ValidationError, match=message):
        lead_tasks.due_from_pick(pick, text, now=at("2026-12-02T09:00"), tz=IST)


@settings(max_examples=300, deadline=None)
@given(
    now=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    tz=st.sampled_from(ZONES),
    pick=st.sampled_from(["in_1h", "evening", "tomorrow"]),
)
def test_every_quick_pick_is_in_the_future_at_its_local_hour(now, tz, pick):
    due = lead_tasks.due_from_pick(pick, None, now=now, tz=tz)
    assert now < due <= now + timedelta(hours=48)
    hour = due.astimezone(ZoneInfo(tz)).hour
    if pick == "evening":
        assert hour == 18
    elif pick == "tomorrow":
        assert hour == 10
        assert due.astimezone(ZoneInfo(tz)).date() == now.astimezone(ZoneInfo(tz)).date() + (
            timedelta(days=1)
        )


# --- owners and moves -----------------------------------------------------------------------


def test_a_follow_up_belongs_to_the_assignee_else_to_whoever_set_it(people):
    mine = assigned_lead(people)
    theirs = factories.make_lead()
    soon = datetime.now(UTC) + timedelta(hours=1)
    assert (
        lead_tasks.schedule(mine, due_at=soon, actor=people["admin"]).user_id == people["ayse"].id
    )
    assert lead_tasks.schedule(theirs, due_at=soon, actor=people["admin"]).user_id == (
        people["admin"].id
    )


def test_open_follow_ups_move_with_the_lead_and_back(people):
    lead = assigned_lead(people)
    soon = datetime.now(UTC) + timedelta(hours=1)
    open_one = lead_tasks.schedule(lead, due_at=soon, actor=people["ayse"])
    done_one = lead_tasks.schedule(lead, due_at=soon, actor=people["ayse"])
    lead_tasks.complete(done_one)
    lead_workflow.assign(lead, people["mehmet"], actor=people["admin"])
    db.session.refresh(open_one)
    db.session.refresh(done_one)
    assert (open_one.user_id, done_one.user_id) == (people["mehmet"].id, people["ayse"].id)
    lead_workflow.assign(lead, None, actor=people["admin"])
    db.session.refresh(open_one)
    assert open_one.user_id is None
    lead_workflow.assign(lead, people["ayse"], actor=people["admin"])  # e.g. an undo
    db.session.refresh(open_one)
    assert open_one.user_id == people["ayse"].id


def test_follow_assignment_moves_many_leads_in_one_call(people):
    leads = [assigned_lead(people) for _ in range(7)]
    soon = datetime.now(UTC) + timedelta(hours=1)
    for lead in leads:
        lead_tasks.schedule(lead, due_at=soon, actor=people["ayse"])
    moves = {lead.id: (people["mehmet"].id if i % 2 else None) for i, lead in enumerate(leads)}
    assert lead_tasks.follow_assignment(moves) == 7
    assert lead_tasks.follow_assignment(moves) == 0  # already there
    owners = dict(db.session.execute(sa.select(LeadTask.lead_id, LeadTask.user_id)).all())
    assert owners == moves


def test_logging_a_contact_completes_open_follow_ups_and_a_note_does_not(people):
    lead = assigned_lead(people)
    task = lead_tasks.schedule(lead, due_at=datetime.now(UTC), actor=people["ayse"])
    lead_workflow.add_interaction(
        lead, actor=people["ayse"], interaction_type="note", description="Sent photos"
    )
    assert open_tasks(lead) == [task]
    lead_workflow.add_interaction(lead, actor=people["ayse"], interaction_type="whatsapp")
    assert open_tasks(lead) == []


def test_closing_a_lead_completes_its_follow_ups(people):
    lead = assigned_lead(people)
    lead_tasks.schedule(lead, due_at=datetime.now(UTC), actor=people["ayse"])
    lead_workflow.change_status(lead, "lost", actor=people["ayse"])
    assert open_tasks(lead) == []


def test_next_actions_gives_each_lead_its_soonest_open_follow_up(people):
    lead, other, none = (assigned_lead(people) for _ in range(3))
    now = datetime.now(UTC)
    later = lead_tasks.schedule(lead, due_at=now + timedelta(hours=5), actor=people["ayse"])
    sooner = lead_tasks.schedule(lead, due_at=now + timedelta(hours=1), actor=people["ayse"])
    lead_tasks.complete(
        lead_tasks.schedule(lead, due_at=now - timedelta(hours=1), actor=people["ayse"])
    )
    only = lead_tasks.schedule(other, due_at=now, actor=people["ayse"])
    found = lead_tasks.next_actions([lead.id, other.id, none.id])
    assert found == {lead.id: sooner, other.id: only}
    assert later not in found.values()


def test_an_open_task_is_found_only_on_its_own_lead(people):
    lead, other = assigned_lead(people), assigned_lead(people)
    task = lead_tasks.schedule(lead, due_at=datetime.now(UTC), actor=people["ayse"])
    assert lead_tasks.get_open_task(lead, task.id) == task
    assert lead_tasks.get_open_task(other, task.id) is None
    assert lead_tasks.get_open_task(lead, 2**40) is None
    lead_tasks.complete(task)
    assert lead_tasks.get_open_task(lead, task.id) is None


# --- My day ---------------------------------------------------------------------------------


def test_my_day_lists_overdue_then_today_then_new_leads_of_that_user_only(people):
    now = at("2026-12-02T12:00")
    ayse, mehmet = people["ayse"], people["mehmet"]
    first, second, third, hers_new = (assigned_lead(people) for _ in range(4))
    his = assigned_lead(people, "mehmet")
    deleted = assigned_lead(people)
    overdue = lead_tasks.schedule(first, due_at=now - timedelta(hours=2), actor=ayse)
    later_today = lead_tasks.schedule(second, due_at=at("2026-12-02T23:30"), actor=ayse)
    soon = lead_tasks.schedule(third, due_at=now + timedelta(minutes=5), actor=ayse)
    lead_tasks.schedule(third, due_at=at("2026-12-03T00:30"), actor=ayse)  # tomorrow, locally
    lead_tasks.schedule(his, due_at=now, actor=mehmet)
    lead_tasks.schedule(deleted, due_at=now - timedelta(hours=1), actor=ayse)
    deleted.deleted_at = now
    for lead in (first, second, third):
        lead_workflow.add_interaction(lead, actor=ayse, interaction_type="note", description="x")
    for lead in (first, second, third):
        lead.status = LeadStatus.CONTACTED
    db.session.flush()
    day = lead_tasks.my_day(ayse, tz=IST, now=now)
    assert day.overdue == [overdue]
    assert day.today == [soon, later_today]
    assert [lead.id for lead in day.new_leads] == [hers_new.id]
    assert not day.empty
    assert lead_tasks.my_day(people["admin"], tz=IST, now=now).empty


# --- one step -------------------------------------------------------------------------------


def test_one_step_logs_the_call_moves_the_status_and_sets_the_next_follow_up(people):
    lead = assigned_lead(people)
    step = lead_work.WorkStep(
        interaction_type="call",
        result="callback",
        description="Call after work",
        next_status="lost",
        follow_up="tomorrow",
        expected_version=lead.version_id,
    )
    # lost closes the lead: a follow-up makes no sense there, but the order is log, status,
    # then the new follow-up, so it is still kept as asked.
    done = lead_work.work_lead(lead, step, actor=people["ayse"], tz=IST, now=at("2026-12-02T09:00"))
    assert lead.status == LeadStatus.LOST and done.status_changed
    assert done.interaction.result == "callback"
    assert done.task.kind == TaskKind.CALLBACK
    assert local(done.task.due_at) == "2026-12-03 10:00"


def test_one_step_reached_then_qualified_goes_through_the_pipeline(people):
    lead = assigned_lead(people)
    step = lead_work.WorkStep(interaction_type="call", result="reached", next_status="qualified")
    done = lead_work.work_lead(lead, step, actor=people["ayse"], tz=IST)
    assert lead.status == LeadStatus.QUALIFIED and done.status_changed and done.task is None


def test_one_step_refuses_a_move_the_pipeline_does_not_allow(people):
    lead = assigned_lead(people)
    step = lead_work.WorkStep(interaction_type="call", result="no_answer", next_status="converted")
    with pytest.raises(InvalidTransitionError):
        lead_work.work_lead(lead, step, actor=people["ayse"], tz=IST)


def test_one_step_refuses_a_bad_time_before_writing_anything(people):
    lead = assigned_lead(people)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(LeadTask))
    version = lead.version_id
    step = lead_work.WorkStep(interaction_type="call", follow_up="at", follow_up_at="nope")
    with pytest.raises(ValidationError):
        lead_work.work_lead(lead, step, actor=people["ayse"], tz=IST)
    assert lead.version_id == version
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadTask)) == count


def test_one_step_with_a_stale_version_is_refused(people):
    lead = assigned_lead(people)
    step = lead_work.WorkStep(interaction_type="call", expected_version=lead.version_id - 1)
    with pytest.raises(StaleLeadError):
        lead_work.work_lead(lead, step, actor=people["ayse"], tz=IST)
