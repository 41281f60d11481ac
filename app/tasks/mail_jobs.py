"""The mail sender: claims due mails from the outbox, renders each in its recipient's
language, sends a batch over one SMTP connection and writes each outcome as it happens.

No transaction is open while SMTP talks (on SQLite that would hold the write lock), and the
connection has timeouts, so a hung server holds only the runner's mail thread.

An unreachable server is logged when the outage starts, then at most every REMIND_S while it
lasts, and once more when mail goes through again: every new mail tries the server, and a
desk with no mail server (the `make run` demo) logged a warning a second."""

import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message

from flask import current_app

from app import database
from app.extensions import db
from app.models import MailStatus, OutboxMail
from app.services import (  # noqa: F401 (alerts, analytics_mail, daily_summary…: builders)
    alerts,
    analytics_mail,
    daily_summary,
    mail_outbox,
    mail_render,
    notification_mails,
)
from app.services.mail_transport import SendError, SmtpConnection, SmtpSettings

log = logging.getLogger(__name__)
REMIND_S = 600.0
_outage: dict[str, float] = {}  # "since", "told" (monotonic seconds) while SMTP is unreachable


@dataclass(frozen=True)
class Prepared:
    mail_id: int
    recipient: str
    message: Message | None  # None: nothing left to send (its lead is gone)


def send_pending(now: datetime | None = None, *, max_batches: int = 50) -> Counter[str]:
    """Send every due mail, a batch per SMTP connection, until none is due or the server is
    unreachable; returns counts by outcome. Commits after each mail."""
    outcome: Counter[str] = Counter()
    with database.writing():
        db.session.rollback()  # a transaction of the caller's would not be write-ready
        for _ in range(max_batches):
            batch = claim_and_render(now, outcome)
            db.session.commit()  # the claim holds; no transaction while SMTP talks
            if not batch or not deliver(batch, outcome, now):
                break
    if outcome and set(outcome) != {"unreachable"}:
        log.info("mail sender: %s", dict(outcome))
    return outcome


def claim_and_render(now: datetime | None, outcome: Counter[str]) -> list[Prepared]:
    mails = mail_outbox.claim_due(now, current_app.config["MAIL_BATCH"])
    loaded = mail_outbox.load_related(mails)  # noqa: F841 (held: the builders' gets hit it)
    with mail_render.links_context():
        return [p for mail in mails if (p := prepare(mail, outcome)) is not None]


def prepare(mail: OutboxMail, outcome: Counter[str]) -> Prepared | None:
    """*mail* rendered and built into a message (None: it could not be rendered)."""
    try:
        content = mail_render.render(mail)
    except Exception as error:  # a bug in one template must not stop the others
        log.exception("mail %s (%s) could not be rendered", mail.id, mail.kind)
        mail_outbox.mark_failed(mail.id, f"render: {type(error).__name__}", permanent=False)
        outcome["failed"] += 1
        return None
    message = mail_render.build_message(content, mail.recipient) if content else None
    return Prepared(mail.id, mail.recipient, message)


def deliver(batch: list[Prepared], outcome: Counter[str], now: datetime | None) -> bool:
    """Send *batch* over one connection; False when the server could not be reached or
    broke off (the unsent mails wait for their backoff)."""
    to_send = [p for p in batch if p.message is not None]
    for gone in (p for p in batch if p.message is None):
        mail_outbox.drop(gone.mail_id)  # its lead is gone (or no longer theirs): nothing to say
        outcome["dropped"] += 1
    db.session.commit()
    if not to_send:
        return True
    settings = SmtpSettings.of(current_app.config)
    try:
        with SmtpConnection(settings) as smtp:
            reachable()
            for index, item in enumerate(to_send):
                if not send_one(smtp, item, outcome, now):
                    mail_outbox.release([p.mail_id for p in to_send[index + 1 :]], "not tried")
                    db.session.commit()
                    return False
    except SendError as error:  # could not connect: the whole batch waits
        mail_outbox.release([p.mail_id for p in to_send], error.reply, now)
        db.session.commit()
        outcome["unreachable"] += len(to_send)
        unreachable(error.reply, len(to_send))
        return False
    return True


def unreachable(reply: str, waiting: int) -> None:
    """Log an SMTP outage when it starts and then every REMIND_S, not on every try."""
    now = time.monotonic()
    if not _outage:
        _outage.update(since=now, told=now)
        log.warning(
            "mail sender: SMTP unreachable (%s); %d mail(s) wait (told again every %d min "
            "while it lasts)",
            reply,
            waiting,
            REMIND_S // 60,
        )
    elif now - _outage["told"] >= REMIND_S:
        _outage["told"] = now
        minutes = (now - _outage["since"]) // 60
        log.warning(
            "mail sender: SMTP still unreachable after %d min (%s); %d mail(s) wait",
            minutes,
            reply,
            waiting,
        )
    else:
        log.debug("mail sender: SMTP unreachable (%s); %d mail(s) wait", reply, waiting)


def reachable() -> None:
    if since := _outage.get("since"):
        _outage.clear()
        log.info("mail sender: SMTP reachable again after %d s", time.monotonic() - since)


def send_one(smtp: SmtpConnection, item: Prepared, outcome: Counter[str], now) -> bool:
    """Send one mail and write its outcome; False when the connection is gone."""
    try:
        smtp.send(item.message, item.recipient)
    except SendError as error:
        if error.connection:
            mail_outbox.release([item.mail_id], error.reply, now)
            db.session.commit()
            outcome["unreachable"] += 1
            return False
        status = mail_outbox.mark_failed(
            item.mail_id, error.reply, permanent=error.permanent, now=now
        )
        outcome["dead" if status is MailStatus.DEAD else "failed"] += 1
    else:
        # The one window no outbox can close: the server has accepted the mail and this row
        # does not say so yet. A crash right here sends this one mail again after the lease;
        # any other crash sends nothing twice (sent rows are never claimed again).
        mail_outbox.mark_sent(item.mail_id, now or datetime.now(UTC))
        outcome["sent"] += 1
    # A PostgreSQL server crash in the next fraction of a second could lose this outcome (the
    # mail then goes once more after its lease); nothing else can, and waiting for the disk
    # flush of every mail's row halved the sender's rate.
    database.commit_bookkeeping()
    return True
