"""Emails to superadmins when a Meta connection or a backup needs a human (queued, sent after
commit)."""

import logging

import sqlalchemy as sa
from flask import render_template
from flask_babel import gettext as _
from flask_mail import Message

from app import events
from app.extensions import db
from app.models import BackupRun, MetaApiConfig, Role, User

log = logging.getLogger(__name__)
SUBJECTS = {
    "dead": "Meta connection stopped: the Page token must be replaced",
    "expiring": "Meta Page token expires soon",
}


def alert_superadmins(config: MetaApiConfig, problem: str) -> None:
    """Queue an email to every active superadmin with an address (sent after commit)."""
    recipients = list(
        db.session.scalars(
            sa.select(User.email).where(
                User.role == Role.SUPERADMIN, User.is_active, User.email.is_not(None)
            )
        )
    )
    if not recipients:
        log.warning(
            "config %s needs attention (%s) but no superadmin has an email", config.id, problem
        )
        return
    subject = {
        "dead": "Meta connection stopped: the Page token must be replaced",
        "expiring": "Meta Page token expires soon",
    }[problem]
    body = render_template("email/token_alert.txt", config=config, problem=problem)
    events.queue_email(
        Message(subject=f"[Meta Lead Desk] {subject}", recipients=recipients, body=body)
    )
    log.info(
        "token alert (%s) queued for config %s to %d superadmin(s)",
        problem,
        config.id,
        len(recipients),
    )


def superadmin_emails() -> list[str]:
    """Addresses of the active superadmins that have one."""
    return list(
        db.session.scalars(
            sa.select(User.email).where(
                User.role == Role.SUPERADMIN, User.is_active, User.email.is_not(None)
            )
        )
    )


def alert_backup_failed(run: BackupRun) -> None:
    """Queue an email to every active superadmin: the backup failed (sent after commit)."""
    recipients = superadmin_emails()
    if not recipients:
        log.warning("backup run %s failed but no superadmin has an email", run.id)
        return
    body = render_template("email/backup_failed.txt", run=run)
    subject = _("[Meta Lead Desk] The database backup failed")
    events.queue_email(Message(subject=subject, recipients=recipients, body=body))
    log.info("backup failure alert queued to %d superadmin(s)", len(recipients))
