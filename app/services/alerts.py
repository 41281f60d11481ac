"""Emails to superadmins when a Meta connection or a backup needs a human (queued, sent after
commit). Each recipient reads the alert in their own language: one message per language."""

import logging
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_mail import Message

from app import events
from app.extensions import db
from app.i18n import FORMAT_LOCALES, is_language
from app.models import BackupRun, MetaApiConfig, Role, User

log = logging.getLogger(__name__)
SUBJECTS = {
    "dead": _l("Meta connection stopped: the Page token must be replaced"),
    "expiring": _l("Meta Page token expires soon"),
}


def superadmin_recipients() -> list[tuple[str, str | None]]:
    """(address, language) of the active superadmins that have an address."""
    query = sa.select(User.email, User.language).where(
        User.role == Role.SUPERADMIN, User.is_active, User.email.is_not(None)
    )
    return [(address, language) for address, language in db.session.execute(query)]


def by_language(rows: list[tuple[str, str | None]]) -> dict[str, list[str]]:
    """Addresses grouped by their owner's language (no setting: DEFAULT_LOCALE)."""
    default, groups = current_app.config["DEFAULT_LOCALE"], {}
    for address, language in rows:
        groups.setdefault(language if is_language(language) else default, []).append(address)
    return groups


def queue_in_each_language(
    rows: list[tuple[str, str | None]], compose: Callable[[], tuple[str, str]]
) -> None:
    """Queue one message per language group, its (subject, body) composed in that language."""
    for language, recipients in sorted(by_language(rows).items()):
        with force_locale(FORMAT_LOCALES.get(language, language)):
            subject, body = compose()
        events.queue_email(Message(subject=subject, recipients=recipients, body=body))


def alert_superadmins(config: MetaApiConfig, problem: str) -> None:
    """Queue an email to every active superadmin with an address, each in their language
    (sent after commit)."""
    rows = superadmin_recipients()
    if not rows:
        log.warning(
            "config %s needs attention (%s) but no superadmin has an email", config.id, problem
        )
        return
    queue_in_each_language(
        rows,
        lambda: (
            _("[Meta Lead Desk] %(subject)s", subject=SUBJECTS[problem]),
            render_template("email/token_alert.txt", config=config, problem=problem),
        ),
    )
    log.info(
        "token alert (%s) queued for config %s to %d superadmin(s)", problem, config.id, len(rows)
    )


def alert_backup_failed(run: BackupRun) -> None:
    """Queue an email to every active superadmin, in their language: the backup failed (sent
    after commit)."""
    rows = superadmin_recipients()
    if not rows:
        log.warning("backup run %s failed but no superadmin has an email", run.id)
        return
    queue_in_each_language(
        rows,
        lambda: (
            _("[Meta Lead Desk] The database backup failed"),
            render_template("email/backup_failed.txt", run=run),
        ),
    )
    log.info("backup failure alert queued to %d superadmin(s)", len(rows))
