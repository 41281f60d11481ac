"""The daily summary mail (08:00 APP_TIMEZONE): to superadmins, yesterday's new, contacted,
converted and lost leads, the leads still uncontacted, a line per staff member and the five
best open leads; to each staff member, their open leads and the follow-ups due today.

Queued once per recipient and day (dedupe key); the figures are read when the mail is sent."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from app.extensions import db
from app.i18n.formats import format_day
from app.models import FacebookLead, LeadTask, OutboxMail, Role, User
from app.services import mail_outbox, mail_render
from app.services.lead_workflow import OPEN_STATUSES
from app.services.mail_render import Built, Content, builder
from app.services.notification_mails import lead_url, name_of

L = FacebookLead
TOP = 5
MY_LEADS_SHOWN = 10


@dataclass(frozen=True)
class StaffLine:
    name: str
    open_leads: int
    contacted: int
    converted: int


def yesterday() -> date:
    zone = ZoneInfo(current_app.config["APP_TIMEZONE"])
    return datetime.now(zone).date() - timedelta(days=1)


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC start and end of *day* in APP_TIMEZONE."""
    zone = ZoneInfo(current_app.config["APP_TIMEZONE"])
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def recipients() -> list[User]:
    """Active users with an address who want the daily summary."""
    query = sa.select(User).where(
        User.is_active, User.notify_daily_summary, User.email.is_not(None), User.email != ""
    )
    return list(db.session.scalars(query.order_by(User.id)))


def queue_daily_summaries(day: date) -> int:
    """Queue the summary of *day* (a local date) to every recipient, once a day each;
    returns how many. Caller commits."""
    return mail_outbox.queue_mails(
        {
            "kind": "daily_summary",
            "recipient": user.email,
            "user_id": user.id,
            "language": user.language,
            "params": {"day": day.isoformat()},
            "dedupe_key": f"daily_summary:{day.isoformat()}:{user.id}",
        }
        for user in recipients()
    )


def preview(day: date) -> list[tuple[str, Content]]:
    """The summaries of *day* as they would be sent now (nothing is queued)."""
    found = []
    for user in recipients():
        mail = OutboxMail(kind="daily_summary", recipient=user.email, user_id=user.id)
        mail.params = {"day": day.isoformat()}
        if (content := mail_render.render(mail)) is not None:
            found.append((user.email, content))
    return found


def shown(query: sa.Select) -> sa.Select:
    return query.where(L.deleted_at.is_(None), L.duplicate_of_id.is_(None), L.is_test.is_(False))


def count_between(column, start: datetime, end: datetime) -> int:
    query = shown(sa.select(sa.func.count()).select_from(L)).where(column >= start, column < end)
    return db.session.scalar(query) or 0


def open_leads() -> sa.Select:
    return shown(sa.select(L)).where(L.status.in_([s.value for s in OPEN_STATUSES]))


def admin_figures(day: date) -> dict[str, Any]:
    start, end = local_day_bounds(day)
    uncontacted = open_leads().where(L.first_contacted_at.is_(None))
    top = db.session.scalars(open_leads().order_by(L.score.desc(), L.id).limit(TOP))
    return {
        "new": count_between(L.meta_created_at, start, end),
        "contacted": count_between(L.first_contacted_at, start, end),
        "converted": count_between(L.converted_at, start, end),
        "lost": count_between(L.lost_at, start, end),
        "uncontacted": db.session.scalar(
            sa.select(sa.func.count()).select_from(uncontacted.subquery())
        ),
        "staff": staff_lines(start, end),
        "top": [(lead, name_of(lead), lead_url(lead)) for lead in top],
    }


def staff_lines(start: datetime, end: datetime) -> list[StaffLine]:
    """Per active staff member: open leads now, first contacts and conversions in the day."""

    def per_user(query: sa.Select) -> dict[int, int]:
        grouped = query.with_only_columns(L.assigned_to_id, sa.func.count()).group_by(
            L.assigned_to_id
        )
        return dict(db.session.execute(grouped).tuples().all())

    opened = per_user(open_leads())
    contacted = per_user(
        shown(sa.select(L)).where(L.first_contacted_at >= start, L.first_contacted_at < end)
    )
    converted = per_user(shown(sa.select(L)).where(L.converted_at >= start, L.converted_at < end))
    staff = db.session.scalars(
        sa.select(User).where(User.role == Role.STAFF, User.is_active).order_by(User.username)
    )
    return [
        StaffLine(u.shown_name, opened.get(u.id, 0), contacted.get(u.id, 0), converted.get(u.id, 0))
        for u in staff
    ]


def staff_figures(user: User, today: date) -> dict[str, Any]:
    mine = open_leads().where(L.assigned_to_id == user.id)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(mine.subquery())) or 0
    leads = db.session.scalars(mine.order_by(L.score.desc(), L.id).limit(MY_LEADS_SHOWN))
    _, end_of_today = local_day_bounds(today)
    due = sa.select(LeadTask).where(
        LeadTask.user_id == user.id, LeadTask.done_at.is_(None), LeadTask.due_at < end_of_today
    )
    tasks = list(db.session.scalars(due.order_by(LeadTask.due_at).limit(50)))
    return {
        "open_count": count,
        "leads": [(lead, name_of(lead), lead_url(lead)) for lead in leads],
        "tasks": [(task, name_of(task.lead), lead_url(task.lead)) for task in tasks],
    }


@builder("daily_summary")
def build_daily_summary(mail: OutboxMail) -> Built:
    user = db.session.get(User, mail.user_id) if mail.user_id else None
    if user is None or not user.is_active:
        return None
    day = date.fromisoformat(mail.params["day"])
    context: dict[str, Any] = {"day": day, "dashboard_url": url_for("leads.index", _external=True)}
    if user.is_superadmin:
        subject = _("[Meta Lead Desk] Daily summary for %(day)s", day=format_day(day))
        return subject, context | {"admin": admin_figures(day)}
    figures = staff_figures(user, day + timedelta(days=1))
    if not figures["open_count"] and not figures["tasks"]:
        return None  # nothing on their plate: no mail
    subject = ngettext(
        "[Meta Lead Desk] Your day: %(num)s open lead",
        "[Meta Lead Desk] Your day: %(num)s open leads",
        figures["open_count"],
    )
    return subject, context | {"mine": figures}
