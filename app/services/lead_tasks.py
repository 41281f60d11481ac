"""Follow-ups (`lead_tasks`): when to try a lead again, who should, and what is due.

Open follow-ups belong to the lead's assignee and move with the lead (`follow_assignment`,
set-based, so single, bulk and automatic assignments and their undo all move them the same
way). Logging a contact attempt completes the lead's open follow-ups; closing the lead
(lost, invalid, converted) does too. Times are stored in UTC and picked in APP_TIMEZONE.
Callers commit."""

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app.errors import ValidationError
from app.extensions import db
from app.i18n.formats import display_name
from app.models import FacebookLead, LeadStatus, LeadTask, TaskKind, User
from app.models.base import MAX_ID
from app.services import patient_time
from app.services.lead_service import visible_leads

log = logging.getLogger(__name__)
T = LeadTask

# The "when?" quick picks: in one hour, this evening 18:00, tomorrow 10:00 (ours or the
# patient's), or a time.
PICKS = ("in_1h", "evening", "tomorrow", "their_tomorrow", "at")
EVENING = time(18, 0)
MORNING = time(10, 0)
MAX_AHEAD = timedelta(days=366)
# Results of a contact attempt that ask when to try again, and the follow-up they make.
ASKS_WHEN: dict[str, TaskKind] = {"callback": TaskKind.CALLBACK, "no_answer": TaskKind.RETRY}
MAX_NOTE = 500
DAY_LIMIT = 100


@dataclass(frozen=True)
class MyDay:
    """What one user should do today, in order: overdue, due today, new leads of theirs,
    response targets about to be missed."""

    overdue: list[LeadTask]
    today: list[LeadTask]
    new_leads: list[FacebookLead]
    at_risk: list[FacebookLead] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.today or self.new_leads or self.at_risk)

    def with_at_risk(self, leads: list[FacebookLead]) -> "MyDay":
        """This day with its leads about to miss a target; listed there, not as new too."""
        risky = {lead.id for lead in leads}
        fresh = [lead for lead in self.new_leads if lead.id not in risky]
        return replace(self, new_leads=fresh, at_risk=leads)


def due_from_pick(
    pick: str, at: str | None, *, now: datetime, tz: str, patient_zone: str | None = None
) -> datetime:
    """The UTC due time of a quick pick made at *now* in the time zone *tz*; `at` is a local
    `YYYY-MM-DDTHH:MM` (an `<input type=datetime-local>`); `their_tomorrow` is 10:00 on the
    patient's next day in *patient_zone*. Raises ValidationError."""
    if pick == "their_tomorrow":
        if patient_zone is None:
            raise ValidationError(_("The patient's time zone is not known: choose another time."))
        return patient_time.their_tomorrow_morning(patient_zone, now)
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    if pick == "in_1h":
        return now + timedelta(hours=1)
    if pick == "evening":
        day = local.date() if local.time() < EVENING else local.date() + timedelta(days=1)
        return datetime.combine(day, EVENING, zone).astimezone(UTC)
    if pick == "tomorrow":
        return datetime.combine(local.date() + timedelta(days=1), MORNING, zone).astimezone(UTC)
    if pick != "at":
        raise ValidationError(_("Choose when to try again."))
    return parse_local(at, now=now, zone=zone)


def parse_local(text: str | None, *, now: datetime, zone: ZoneInfo) -> datetime:
    try:
        value = datetime.strptime((text or "").strip()[:16], "%Y-%m-%dT%H:%M")
    except ValueError:
        raise ValidationError(_("Give the date and time of the next try.")) from None
    # A wall-clock time that a DST change skips is read as the hour after (fold=0 + zone).
    due = value.replace(tzinfo=zone).astimezone(UTC)
    if due < now - timedelta(minutes=1):
        raise ValidationError(_("The next try must be in the future."))
    if due > now + MAX_AHEAD:
        raise ValidationError(_("The next try must be within a year."))
    return due


def schedule(
    lead: FacebookLead,
    *,
    due_at: datetime,
    actor: User | None,
    kind: TaskKind = TaskKind.FOLLOW_UP,
    note: str | None = None,
) -> LeadTask:
    """Add a follow-up on *lead*, owned by its assignee (else by *actor*); refused
    (ValidationError) when the lead is marked do not contact. Caller commits."""
    if lead.do_not_contact_at is not None:
        raise ValidationError(_("This lead is marked do not contact: no follow-up."))
    owner_id = lead.assigned_to_id or (actor.id if actor else None)
    task = LeadTask(
        lead_id=lead.id,
        user_id=owner_id,
        created_by_id=actor.id if actor else None,
        kind=kind,
        due_at=due_at,
        note=(note or "").strip()[:MAX_NOTE] or None,
        created_at=datetime.now(UTC),
    )
    db.session.add(task)
    db.session.flush()
    log.info("lead %s: follow-up %s (%s) for user %s", lead.id, task.id, kind.value, owner_id)
    return task


def complete_open(lead: FacebookLead, *, now: datetime | None = None) -> int:
    """Mark every open follow-up of *lead* done (it was contacted, or closed)."""
    done = db.session.execute(
        sa.update(T)
        .where(T.lead_id == lead.id, T.done_at.is_(None))
        .values(done_at=now or datetime.now(UTC))
    ).rowcount
    return done


def complete_open_of(lead_ids: Sequence[int], *, now: datetime | None = None) -> int:
    """Mark the open follow-ups of many leads done (a bulk action closed them), set-based."""
    return db.session.execute(
        sa.update(T)
        .where(T.lead_id.in_(list(lead_ids)), T.done_at.is_(None))
        .values(done_at=now or datetime.now(UTC))
        .execution_options(synchronize_session=False)
    ).rowcount


def reopen_closed_at(closed: Iterable[tuple[int, datetime]]) -> int:
    """Reopen the follow-ups a bulk change closed, given (lead id, the time it closed them):
    its undo. A follow-up done at another moment (by hand) stays done."""
    by_time: dict[datetime, list[int]] = {}
    for lead_id, at in closed:
        by_time.setdefault(at, []).append(lead_id)
    return sum(
        db.session.execute(
            sa.update(T)
            .where(T.lead_id.in_(lead_ids), T.done_at == at)
            .values(done_at=None)
            .execution_options(synchronize_session=False)
        ).rowcount
        for at, lead_ids in by_time.items()
    )


def complete(task: LeadTask, *, now: datetime | None = None) -> None:
    """Mark one follow-up done (idempotent)."""
    if task.done_at is None:
        task.done_at = now or datetime.now(UTC)
        db.session.flush()


def follow_assignment(moves: Mapping[int, int | None]) -> int:
    """Move the open follow-ups of each lead (lead id → new assignee id, None = unassigned)
    to its new assignee: one UPDATE per distinct assignee, for the leads that have one
    (found first by one range read: most moved leads have none). Returns the rows moved."""
    if not moves:
        return 0
    having = set(
        db.session.scalars(
            sa.select(T.lead_id.distinct()).where(
                T.lead_id.between(min(moves), max(moves)), T.done_at.is_(None)
            )
        )
    )
    by_owner: dict[int | None, list[int]] = {}
    for lead_id, owner in moves.items():
        if lead_id in having:
            by_owner.setdefault(owner, []).append(lead_id)
    moved = 0
    for owner, lead_ids in by_owner.items():
        for start in range(0, len(lead_ids), 500):
            chunk = lead_ids[start : start + 500]
            moved += db.session.execute(
                sa.update(T)
                .where(T.lead_id.in_(chunk), T.done_at.is_(None), T.user_id.is_distinct_from(owner))
                .values(user_id=owner)
                .execution_options(synchronize_session="fetch")
            ).rowcount
    return moved


def get_open_task(lead: FacebookLead, task_id: int) -> LeadTask | None:
    """One open follow-up of *lead* (None when it is not the lead's, or done)."""
    if not 0 < task_id <= MAX_ID:
        return None
    return db.session.scalar(
        sa.select(T).where(T.id == task_id, T.lead_id == lead.id, T.done_at.is_(None))
    )


def list_open(lead: FacebookLead) -> list[LeadTask]:
    """The lead's open follow-ups, soonest first."""
    query = sa.select(T).where(T.lead_id == lead.id, T.done_at.is_(None)).order_by(T.due_at, T.id)
    return list(db.session.scalars(query.limit(20)))


def next_actions(lead_ids: Iterable[int]) -> dict[int, LeadTask]:
    """The soonest open follow-up of each lead (for the dashboard's "next action" column)."""
    ids = list(lead_ids)
    if not ids:
        return {}
    query = sa.select(T).where(T.lead_id.in_(ids), T.done_at.is_(None)).order_by(T.due_at.desc())
    return {task.lead_id: task for task in db.session.scalars(query)}


def my_day(user: User, *, tz: str, now: datetime | None = None) -> MyDay:
    """*user*'s overdue follow-ups, those due later today (in *tz*), and their new leads."""
    now = now or datetime.now(UTC)
    zone = ZoneInfo(tz)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    end_of_day = datetime.combine(tomorrow, time(0), zone).astimezone(UTC)
    visible = visible_leads(user).with_only_columns(FacebookLead.id)
    visible = visible.where(FacebookLead.do_not_contact_at.is_(None))
    tasks = (
        sa.select(T)
        .where(T.user_id == user.id, T.done_at.is_(None), T.lead_id.in_(visible))
        .options(selectinload(T.lead))
        .order_by(T.due_at, T.id)
    )
    overdue = db.session.scalars(tasks.where(T.due_at < now).limit(DAY_LIMIT))
    today = db.session.scalars(tasks.where(T.due_at >= now, T.due_at < end_of_day).limit(DAY_LIMIT))
    new_leads = db.session.scalars(
        visible_leads(user)
        .where(
            FacebookLead.assigned_to_id == user.id,
            FacebookLead.status == LeadStatus.ASSIGNED,
            FacebookLead.duplicate_of_id.is_(None),
            FacebookLead.do_not_contact_at.is_(None),
            ~sa.exists().where(T.lead_id == FacebookLead.id, T.done_at.is_(None)),  # listed above
        )
        .order_by(FacebookLead.created_at, FacebookLead.id)
        .limit(DAY_LIMIT)
    )
    return MyDay(list(overdue), list(today), list(new_leads))


# How late a follow-up may be announced: after a long stop of the scheduler, older ones are
# marked announced without a notice (nobody wants fifty pop-ups at once).
NOTICE_WINDOW = timedelta(hours=12)


@dataclass(frozen=True)
class DueNotice:
    task_id: int
    lead_id: int
    user_id: int
    kind: str
    due_at: datetime
    name: str


def claim_due(now: datetime, *, limit: int = 200) -> tuple[int, list[DueNotice]]:
    """Claim open follow-ups that fell due and were not announced yet (one conditional
    UPDATE, so two schedulers never announce one twice): (how many were claimed, the notices
    to send: those of an owner, on a lead not deleted, due within NOTICE_WINDOW). Caller
    commits."""
    ids = list(
        db.session.scalars(
            sa.select(T.id)
            .where(T.done_at.is_(None), T.notified_at.is_(None), T.due_at <= now)
            .order_by(T.due_at)
            .limit(limit)
        )
    )
    if not ids:
        return 0, []
    claimed = db.session.scalars(
        sa.update(T)
        .where(T.id.in_(ids), T.notified_at.is_(None))
        .values(notified_at=now)
        .returning(T.id)
        .execution_options(synchronize_session=False)
    ).all()
    rows = db.session.execute(
        sa.select(T.id, T.lead_id, T.user_id, T.kind, T.due_at, FacebookLead)
        .join(FacebookLead, FacebookLead.id == T.lead_id)
        .where(
            T.id.in_(claimed),
            T.user_id.is_not(None),
            T.due_at > now - NOTICE_WINDOW,
            FacebookLead.deleted_at.is_(None),
            FacebookLead.do_not_contact_at.is_(None),
        )
        .order_by(T.due_at)
    ).all()
    return len(claimed), [
        DueNotice(
            task_id, lead_id, user_id, kind.value, due_at, display_name(lead.full_name, lead.phone)
        )
        for task_id, lead_id, user_id, kind, due_at, lead in rows
    ]
