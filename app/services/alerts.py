"""Emails to superadmins when a Meta connection needs a human (queued, sent after commit).

Each recipient reads the alert in their own language: one message per language group."""

import logging

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_mail import Message

from app import events
from app.extensions import db
from app.i18n import FORMAT_LOCALES, is_language
from app.models import MetaApiConfig, Role, User

log = logging.getLogger(__name__)
SUBJECTS = {
    "dead": _l("Meta connection stopped: the Page token must be replaced"),
    "expiring": _l("Meta Page token expires soon"),
}


def by_language(rows: list[tuple[str, str | None]]) -> dict[str, list[str]]:
    """Addresses grouped by their owner's language (no setting: DEFAULT_LOCALE)."""
    default, groups = current_app.config["DEFAULT_LOCALE"], {}
    for address, language in rows:
        groups.setdefault(language if is_language(language) else default, []).append(address)
    return groups


def alert_superadmins(config: MetaApiConfig, problem: str) -> None:
    """Queue an email to every active superadmin with an address, each in their language
    (sent after commit)."""
    rows = db.session.execute(
        sa.select(User.email, User.language).where(
            User.role == Role.SUPERADMIN, User.is_active, User.email.is_not(None)
        )
    ).all()
    if not rows:
        log.warning(
            "config %s needs attention (%s) but no superadmin has an email", config.id, problem
        )
        return
    for language, recipients in sorted(by_language([tuple(row) for row in rows]).items()):
        with force_locale(FORMAT_LOCALES.get(language, language)):
            subject = _("[Meta Lead Desk] %(subject)s", subject=SUBJECTS[problem])
            body = render_template("email/token_alert.txt", config=config, problem=problem)
        events.queue_email(Message(subject=subject, recipients=recipients, body=body))
    log.info(
        "token alert (%s) queued for config %s to %d superadmin(s)", problem, config.id, len(rows)
    )
