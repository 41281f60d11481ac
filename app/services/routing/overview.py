"""What the routing admin page shows: the rules, each person's state right now, the team's
hours and the fresh leads nobody could be given."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import gettext as _

from app.extensions import db
from app.models import FacebookLead, LeadStatus, RoutingRule, User
from app.services import work_hours
from app.services.routing import assign, rules

LEADS = FacebookLead.__table__


@dataclass(frozen=True)
class StaffState:
    user: User
    state: str  # available | inactive | away | off_shift | full
    load: int
    hours: str


@dataclass(frozen=True)
class Overview:
    rules: list[RoutingRule]
    staff: list[StaffState]
    team_hours: str
    unassigned_fresh: int


def routing_overview(now: datetime) -> Overview:
    """The admin page's data at *now*."""
    ordered = rules.list_rules()
    named = {m.user_id for rule in ordered for m in rule.staff}
    users = list(
        db.session.scalars(
            sa.select(User)
            .where(sa.or_(User.is_active, User.id.in_(named)))
            .order_by(User.username)
        )
    )
    loads = assign.open_loads(u.id for u in users)
    team = work_hours.team_schedule()
    return Overview(
        rules=ordered,
        staff=[state_of(u, loads.get(u.id, 0), team, now) for u in users],
        team_hours=hours_text(team),
        unassigned_fresh=count_unassigned_fresh(now),
    )


def state_of(user: User, load: int, team: work_hours.Schedule, now: datetime) -> StaffState:
    schedule = work_hours.schedule_of(user, team)
    if not user.is_active:
        state = "inactive"
    elif user.away_until is not None and user.away_until > now:
        state = "away"
    elif not work_hours.on_shift(schedule, now):
        state = "off_shift"
    elif user.capacity is not None and load >= user.capacity:
        state = "full"
    else:
        state = "available"
    return StaffState(user, state, load, hours_text(schedule))


def hours_text(schedule: work_hours.Schedule) -> str:
    """'Mon, Tue, Wed, Thu, Fri 09:00–18:00' in the current language."""
    names = get_day_names("abbreviated", locale=get_locale() or "en")
    if len(schedule.days) == 7:
        days = _("every day")
    else:
        days = ", ".join(names[d - 1] for d in sorted(schedule.days))
    if schedule.start.hour == schedule.start.minute == 0 and schedule.end in (None,):
        return days
    end = schedule.end.strftime("%H:%M") if schedule.end else "24:00"
    return f"{days} {schedule.start.strftime('%H:%M')}–{end}"


def count_unassigned_fresh(now: datetime) -> int:
    """Leads received in the last 24 h that nobody has (re-inquiries and test leads aside)."""
    return (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                LEADS.c.assigned_to_id.is_(None),
                LEADS.c.status == LeadStatus.NEW.value,
                LEADS.c.deleted_at.is_(None),
                LEADS.c.duplicate_of_id.is_(None),
                LEADS.c.is_test.is_(False),
                LEADS.c.meta_created_at >= now - assign.FRESH,
            )
        )
        or 0
    )
