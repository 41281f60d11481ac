"""Mails to superadmins when a Meta connection or a backup needs a human: one outbox row per
superadmin with an address (queued in the caller's transaction, written in each one's
language when sent)."""

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import BackupRun, MetaApiConfig, OutboxMail, Role, User
from app.services import mail_outbox
from app.services.mail_render import Built, builder

log = logging.getLogger(__name__)
SUBJECTS = {
    "dead": _l("Meta connection stopped: the Page token must be replaced"),
    "expiring": _l("Meta Page token expires soon"),
}


def superadmins_with_email() -> list[User]:
    """The active superadmins that have an address."""
    query = sa.select(User).where(
        User.role == Role.SUPERADMIN, User.is_active, User.email.is_not(None), User.email != ""
    )
    return list(db.session.scalars(query.order_by(User.id)))


def queue_to_superadmins(kind: str, event: str, params: dict) -> int:
    """Queue *kind* to every active superadmin with an address, once per *event*; returns how
    many. Caller commits."""
    users = superadmins_with_email()
    return mail_outbox.queue_mails(
        {
            "kind": kind,
            "recipient": user.email,
            "user_id": user.id,
            "dedupe_key": f"{kind}:{event}:{user.id}",
            "params": params,
        }
        for user in users
    )


def alert_superadmins(config: MetaApiConfig, problem: str) -> None:
    """Queue the token alert (*problem*: dead or expiring) to every superadmin with an
    address, at most once a day per connection and problem. Caller commits."""
    day = datetime.now(UTC).date().isoformat()
    params = {"config_id": config.id, "problem": problem}
    count = queue_to_superadmins("token_alert", f"{config.id}:{problem}:{day}", params)
    if not count:
        log.warning(
            "config %s needs attention (%s) but no superadmin has an email", config.id, problem
        )
        return
    log.info("token alert (%s) queued for config %s to %d superadmin(s)", problem, config.id, count)


def alert_backup_failed(run: BackupRun) -> None:
    """Queue "the backup failed" to every superadmin with an address. Caller commits."""
    count = queue_to_superadmins("backup_failed", str(run.id), {"run_id": run.id})
    if not count:
        log.warning("backup run %s failed but no superadmin has an email", run.id)
        return
    log.info("backup failure alert queued to %d superadmin(s)", count)


@builder("token_alert")
def build_token_alert(mail: OutboxMail) -> Built:
    config = db.session.get(MetaApiConfig, mail.params["config_id"])
    problem = mail.params["problem"]
    if config is None or problem not in SUBJECTS:
        return None
    subject = _("[Meta Lead Desk] %(subject)s", subject=SUBJECTS[problem])
    return subject, {"config": config, "problem": problem}


@builder("backup_failed")
def build_backup_failed(mail: OutboxMail) -> Built:
    run = db.session.get(BackupRun, mail.params["run_id"])
    if run is None:
        return None
    return _("[Meta Lead Desk] The database backup failed"), {"run": run}


@builder("test")
def build_test(mail: OutboxMail) -> Built:
    return _("[Meta Lead Desk] Test mail"), {}


def queue_test_mail(address: str, key: str) -> None:
    """Queue a test mail to *address*. Caller commits."""
    mail_outbox.queue_mail("test", address.strip(), key=f"test:{key}")
