"""Weekly and monthly analytics report mails to recipients a superadmin chooses (clinic
managers need not be users): each Monday last week's figures, each 1st last month's, queued
through the mail outbox once per recipient and period (dedupe key) and built when sent.

The figures are the analytics page's (all leads, as a superadmin sees them), with a link to
that page and its CSV report for the same period."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _

from app.errors import ValidationError
from app.extensions import db
from app.i18n.formats import format_day
from app.meta.normalize import normalize_email
from app.models import AppSetting, OutboxMail, Role, User
from app.services import analytics, mail_outbox, mail_render
from app.services.analytics_period import Period
from app.services.mail_render import Built, Content, builder

SETTING_KEY = "analytics_report_mails"
MAX_RECIPIENTS = 20
CADENCES = ("weekly", "monthly")
TOP_SOURCES = 5


@dataclass(frozen=True)
class ReportSettings:
    recipients: tuple[str, ...] = ()
    weekly: bool = False
    monthly: bool = False

    def wants(self, cadence: str) -> bool:
        return bool(self.recipients) and getattr(self, cadence)


def current_settings() -> ReportSettings:
    setting = db.session.get(AppSetting, SETTING_KEY)
    value = setting.value if setting and isinstance(setting.value, dict) else {}
    return ReportSettings(
        tuple(value.get("recipients") or ()), bool(value.get("weekly")), bool(value.get("monthly"))
    )


def parse_recipients(text: str | None) -> tuple[str, ...]:
    """Addresses separated by commas, semicolons or lines; ValidationError names a bad one."""
    found: list[str] = []
    for part in (text or "").replace(";", ",").replace("\n", ",").split(","):
        if not (candidate := part.strip()):
            continue
        address = normalize_email(candidate)
        if address is None:
            raise ValidationError(_("%(address)s is not an email address.", address=candidate))
        if address not in found:
            found.append(address)
    if len(found) > MAX_RECIPIENTS:
        raise ValidationError(_("At most %(count)s recipients.", count=MAX_RECIPIENTS))
    return tuple(found)


def save_settings(recipients_text: str | None, *, weekly: bool, monthly: bool) -> ReportSettings:
    """Store who gets which report; ValidationError on a bad address. Caller commits."""
    chosen = ReportSettings(parse_recipients(recipients_text), weekly, monthly)
    if (weekly or monthly) and not chosen.recipients:
        raise ValidationError(_("Name at least one recipient, or turn the reports off."))
    setting = db.session.get(AppSetting, SETTING_KEY) or AppSetting(key=SETTING_KEY)
    setting.value = {"recipients": list(chosen.recipients), "weekly": weekly, "monthly": monthly}
    db.session.add(setting)
    db.session.flush()
    return chosen


def due_periods(today: date) -> dict[str, Period]:
    """The reports due on the local day *today*: Mondays last week (Monday to Sunday), the
    1st last month."""
    due = {}
    if today.weekday() == 0:
        due["weekly"] = Period("custom", today - timedelta(days=7), today - timedelta(days=1))
    if today.day == 1:
        end = today - timedelta(days=1)
        due["monthly"] = Period("custom", end.replace(day=1), end)
    return due


def report_mails(today: date, only: str | None = None) -> list[dict[str, Any]]:
    """The outbox rows of the reports due on *today* (or of the *only* cadence, as if due):
    one per recipient and period."""
    settings = current_settings()
    periods = due_periods(today) if only is None else {only: report_period(only, today)}
    language = current_app.config["DEFAULT_LOCALE"]
    return [
        {
            "kind": "analytics_report",
            "recipient": address,
            "language": language,
            "params": {"cadence": cadence, "from": p.start.isoformat(), "to": p.end.isoformat()},
            "dedupe_key": f"analytics_report:{cadence}:{p.start.isoformat()}:{address}",
        }
        for cadence, p in periods.items()
        if settings.wants(cadence) or only is not None
        for address in settings.recipients
    ]


def queue_reports(today: date, only: str | None = None) -> int:
    """Queue the reports due on *today* (see `report_mails`), once per recipient and period;
    returns how many rows were asked for. Caller commits."""
    return mail_outbox.queue_mails(report_mails(today, only))


def preview(today: date, only: str | None = None) -> list[tuple[str, Content]]:
    """The reports of *today* as they would be sent now (nothing is queued)."""
    found = []
    for row in report_mails(today, only):
        mail = OutboxMail(kind=row["kind"], recipient=row["recipient"], language=row["language"])
        mail.params = row["params"]
        if (content := mail_render.render(mail)) is not None:
            found.append((row["recipient"], content))
    return found


def report_period(cadence: str, today: date) -> Period:
    """The last whole week or month before *today*."""
    if cadence == "weekly":
        monday = today - timedelta(days=today.weekday())
        return Period("custom", monday - timedelta(days=7), monday - timedelta(days=1))
    end = today.replace(day=1) - timedelta(days=1)
    return Period("custom", end.replace(day=1), end)


def reader() -> User | None:
    """Whose eyes the figures are read with: the first active superadmin (all leads)."""
    query = sa.select(User).where(User.role == Role.SUPERADMIN, User.is_active)
    return db.session.scalar(query.order_by(User.id))


@builder("analytics_report")
def build_report(mail: OutboxMail) -> Built:
    user = reader()
    if user is None:
        return None
    start, end = date.fromisoformat(mail.params["from"]), date.fromisoformat(mail.params["to"])
    tz = current_app.config["APP_TIMEZONE"]
    filters, period = analytics.selection(
        {"date_from": start.isoformat(), "date_to": end.isoformat()}, tz
    )
    result = analytics.build_analytics(user, filters, period, tz)
    args = period.to_args()
    weekly = mail.params["cadence"] == "weekly"
    subject = (
        _("[Meta Lead Desk] Weekly report, %(start)s – %(end)s", start=format_day(start),
          end=format_day(end))
        if weekly
        else _("[Meta Lead Desk] Monthly report, %(start)s – %(end)s", start=format_day(start),
               end=format_day(end))
    )  # fmt: skip
    context: dict[str, Any] = {
        "weekly": weekly,
        "start": start,
        "end": end,
        "kpis": analytics.headline(result),
        "funnel": result.funnel,
        "staff": [row for row in result.by_staff if row.assigned][:10],
        "campaigns": result.sources.get("campaign", [])[:TOP_SOURCES],
        "page_url": url_for("analytics.index", _external=True, **args),
        "csv_url": url_for("analytics.report_csv", _external=True, **args),
    }
    return subject, context
