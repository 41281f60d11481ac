"""What the desk mails about leads, and to whom: new-lead alerts (superadmins who chose them
and the distributor's contact), assignments (the assignee), and changes to my lead by someone
else (me). Queued in the transaction of the change; written at send time (notification_mails).

Single mails go out up to SINGLES_PER_MINUTE per recipient in a rolling minute; past that
the rest of that minute's leads go as one digest, so a backfill or a campaign burst sends a
handful of mails, never thousands."""

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app import events
from app.extensions import db
from app.models import (
    DigestPart,
    Distributor,
    FacebookLead,
    InteractionType,
    LeadInteraction,
    MailStatus,
    OutboxMail,
    Role,
    User,
)
from app.services import mail_outbox

log = logging.getLogger(__name__)
SINGLES_PER_MINUTE = 10
MINUTE = timedelta(minutes=1)
FRESH = timedelta(hours=24)  # older leads are stored quietly (DESIGN: fresh vs old leads)
DIGEST_OF = {"new_lead": "new_lead_digest", "assignment": "assignment_digest"}


@dataclass(frozen=True)
class Recipient:
    """Who a mail goes to: a user, or a distributor's contact address (user_id None)."""

    address: str
    key: str  # "u<id>" or "d<id>": part of each dedupe key
    language: str | None = None
    user_id: int | None = None
    distributor_id: int | None = None  # a distributor's contact: its unsubscribe link


def alert_worthy(row: Mapping[str, Any], min_score: int) -> bool:
    """A new lead that raises an alert: scores enough, not a Meta test lead, not a
    re-inquiry, not marked do not contact, and stored within a day of Meta's created_time."""
    if row.get("is_test") or row.get("duplicate_of_id") or row.get("do_not_contact_at"):
        return False
    if row["score"] < min_score:
        return False
    created, received = row.get("created_at"), row.get("meta_created_at")
    return created is None or received is None or created - received <= FRESH


def new_leads_stored(rows: Sequence[Mapping[str, Any]], distributor_id: int | None) -> int:
    """Queue the new-lead alerts for freshly inserted leads (column dicts with `id`), set
    based; returns how many leads raise one. Caller commits."""
    min_score = current_app.config["ALERT_MIN_SCORE"]
    lead_ids = [row["id"] for row in rows if alert_worthy(row, min_score)]
    if not lead_ids:
        return 0
    recipients = new_lead_recipients(distributor_id)
    queue_rated("new_lead", recipients, lead_ids, {})
    return len(lead_ids)


def new_lead_recipients(distributor_id: int | None) -> list[Recipient]:
    """Active superadmins with an address who want new-lead alerts, and the active
    distributor's contact address."""
    query = sa.select(User.id, User.email, User.language).where(
        User.role == Role.SUPERADMIN,
        User.is_active,
        User.notify_new_leads,
        User.email.is_not(None),
        User.email != "",
    )
    found = [
        Recipient(email, f"u{uid}", lang, uid) for uid, email, lang in db.session.execute(query)
    ]
    distributor = db.session.get(Distributor, distributor_id) if distributor_id else None
    if distributor and distributor.is_active and distributor.notify_new_leads:
        found += distributor_recipient(distributor)
    return found


def distributor_recipient(distributor: Distributor) -> list[Recipient]:
    """The distributor's contact address, if it has one."""
    if not distributor.contact_email:
        return []
    key, language = f"d{distributor.id}", distributor.language
    return [Recipient(distributor.contact_email, key, language, None, distributor.id)]


def queue_rated(
    kind: str, recipients: Iterable[Recipient], lead_ids: Sequence[int], params: dict
) -> None:
    """Queue *kind* about each lead to each recipient: singles while the recipient's rolling
    minute has room, the rest into that recipient's open digest. Caller commits."""
    now = datetime.now(UTC)
    recipients = list(recipients)
    recent = recent_counts(kind, [r.address for r in recipients], now)
    rows = []
    for recipient in recipients:
        room = max(SINGLES_PER_MINUTE - recent.get(recipient.address, 0), 0)
        rows += [single(kind, recipient, lead_id, params) for lead_id in lead_ids[:room]]
        if overflow := list(lead_ids[room:]):
            add_to_digest(DIGEST_OF[kind], recipient, overflow, now)
    mail_outbox.queue_mails(rows)


def single(kind: str, recipient: Recipient, lead_id: int, params: dict) -> dict[str, Any]:
    params = params | about(recipient)
    return {
        "kind": kind,
        "recipient": recipient.address,
        "user_id": recipient.user_id,
        "lead_id": lead_id,
        "language": recipient.language,
        "params": params or None,
        "dedupe_key": f"{kind}:{lead_id}:{recipient.key}:{params.get('event', '')}",
    }


def about(recipient: Recipient) -> dict[str, int]:
    """What a mail's params say of a distributor recipient (for its unsubscribe link)."""
    return {"distributor_id": recipient.distributor_id} if recipient.distributor_id else {}


def recent_counts(kind: str, addresses: list[str], now: datetime) -> dict[str, int]:
    """Single mails of *kind* queued to each address within the last minute."""
    if not addresses:
        return {}
    query = (
        sa.select(OutboxMail.recipient, sa.func.count())
        .where(
            OutboxMail.kind == kind,
            OutboxMail.recipient.in_(addresses),
            OutboxMail.created_at > now - MINUTE,
        )
        .group_by(OutboxMail.recipient)
    )
    return dict(db.session.execute(query).tuples().all())


def add_to_digest(kind: str, recipient: Recipient, lead_ids: list[int], now: datetime) -> None:
    """Add *lead_ids* to the recipient's digest that is still waiting for its minute to end,
    or open one that goes out a minute from now. The leads go in as a part (`mail_digest_parts`),
    never as a rewrite of what the digest holds already."""
    digest_id = open_digest(kind, recipient.address, now)
    if digest_id is None:
        key = f"{kind}:{recipient.key}:{lead_ids[0]}:{int(now.timestamp())}"
        mail_outbox.queue_mail(
            kind,
            recipient.address,
            key=key,
            user_id=recipient.user_id,
            language=recipient.language,
            params=about(recipient),
            due=now + MINUTE,
        )
        digest_id = db.session.scalar(sa.select(OutboxMail.id).where(OutboxMail.dedupe_key == key))
    db.session.execute(sa.insert(DigestPart).values(mail_id=digest_id, lead_ids=list(lead_ids)))


def open_digest(kind: str, address: str, now: datetime) -> int | None:
    """The id of the digest of *kind* to *address* still waiting for its minute to end."""
    return db.session.scalar(
        sa.select(OutboxMail.id)
        .where(
            OutboxMail.kind == kind,
            OutboxMail.recipient == address,
            OutboxMail.status == MailStatus.QUEUED,
            OutboxMail.attempts == 0,
            OutboxMail.locked_until.is_(None),
            OutboxMail.next_attempt_at > now,
        )
        .order_by(OutboxMail.id.desc())
        .limit(1)
    )


def digest_lead_ids(mail: OutboxMail) -> list[int]:
    """The leads a digest mail is about, each once: its parts, or the JSON list of one queued
    whole (a bulk assignment's, or one queued before parts existed)."""
    listed = (mail.params or {}).get("lead_ids") or []
    parts = db.session.scalars(
        sa.select(DigestPart.lead_ids).where(DigestPart.mail_id == mail.id).order_by(DigestPart.id)
    )
    return list(dict.fromkeys([*listed, *(lead_id for part in parts for lead_id in part)]))


# What a recipient needs of assignees, as a Core statement built once (no User objects):
# routing calls `assignments_made` for each page of leads it stores.
_USERS = User.__table__
ASSIGNEES = sa.select(
    _USERS.c.id, _USERS.c.is_active, _USERS.c.email, _USERS.c.language,
    _USERS.c.notify_assignments,
).where(_USERS.c.id.in_(sa.bindparam("ids", expanding=True)))  # fmt: skip


def user_recipient(user: User | sa.Row | None, choice: str) -> Recipient | None:
    """*user* (a User, or a row of its columns) as a recipient if they are active, have an
    address and made *choice*."""
    if user is None or not user.is_active or not user.email or not getattr(user, choice):
        return None
    return Recipient(user.email, f"u{user.id}", user.language, user.id)


def lead_changed(
    lead: FacebookLead,
    interaction: LeadInteraction,
    actor: User | None,
    previous_assignee: int | None = None,
) -> None:
    """After a timeline row: the new assignee hears of an assignment, and an owner hears of a
    status change or a reassignment someone else made. Caller commits."""
    actor_id = actor.id if actor else None
    assignee = lead.assigned_to_id
    event = {"event": interaction.id, "actor_id": actor_id}
    if interaction.interaction_type is InteractionType.ASSIGNMENT:
        if assignee and assignee != actor_id and assignee != previous_assignee:
            browser_alert(assignee, [lead.id])
            to = user_recipient(db.session.get(User, assignee), "notify_assignments")
            queue_rated("assignment", [to] if to else [], [lead.id], event)
        if previous_assignee and previous_assignee not in (actor_id, assignee):
            reassigned = {**event, "change": "reassigned", "to_user_id": assignee}
            notify_owner(lead, previous_assignee, reassigned)
    elif interaction.to_status and assignee and assignee != actor_id:
        status = {**event, "change": "status", "from": interaction.from_status}
        notify_owner(lead, assignee, status | {"to": interaction.to_status})


def notify_owner(lead: FacebookLead, user_id: int, params: dict) -> None:
    to = user_recipient(db.session.get(User, user_id), "notify_changes")
    if to is not None:
        mail_outbox.queue_mails([single("lead_changed", to, lead.id, params)])


def leads_taken(taken: Mapping[int, tuple[int | None, int]], *, reason: str, job_key: str) -> int:
    """Routing moved leads away from their owners (lead id → (old, new owner)): each old
    owner who chose to hear of changes to their leads is told, once per lead and run, with
    the reason (`rerouted_breach`: the first-contact target was missed). Returns how many
    mails. Caller commits."""
    old_ids = {old for old, _new in taken.values() if old is not None}
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(old_ids)))}
    rows = []
    for lead_id, (old, new) in sorted(taken.items()):
        to = user_recipient(users.get(old), "notify_changes") if old is not None else None
        if to is not None:
            params = {"event": job_key, "change": "reassigned", "to_user_id": new}
            rows.append(single("lead_changed", to, lead_id, params | {"reason": reason}))
    return mail_outbox.queue_mails(rows)


def assignments_made(by_assignee: Mapping[int, Sequence[int]], *, job_key: str) -> int:
    """The seam for bulk and automatic assignment (routing as leads are stored, `flask leads
    auto-assign`, re-routing): each assignee gets one digest of the leads *job_key* (a bulk
    job or routing run) gave them, or the single assignment mail when it was one lead (that
    one within the rolling minute's limit), and a `leads_assigned` event in their browser.
    Returns how many mails. Caller commits."""
    db.session.flush()  # as an ORM query would: a choice changed in this transaction counts
    found = db.session.execute(ASSIGNEES, {"ids": list(by_assignee)})
    users = {u.id: u for u in found}
    rows, singles = [], 0
    for user_id, lead_ids in sorted(by_assignee.items()):
        if not lead_ids:
            continue
        browser_alert(user_id, lead_ids)
        to = user_recipient(users.get(user_id), "notify_assignments")
        if to is None:
            continue
        if len(lead_ids) == 1:
            queue_rated("assignment", [to], list(lead_ids), {"event": job_key})
            singles += 1
            continue
        rows.append(
            {
                "kind": "assignment_digest",
                "recipient": to.address,
                "user_id": to.user_id,
                "language": to.language,
                "params": {"lead_ids": list(lead_ids)},
                "dedupe_key": f"assignment_digest:{job_key}:{to.key}",
            }
        )
    return mail_outbox.queue_mails(rows) + singles


def browser_alert(user_id: int, lead_ids: Sequence[int]) -> None:
    """`leads_assigned {ids}` to the assignee's own room (after commit): the tab title's count
    and, if they allowed it, a desktop notification (static/js/alerts.js)."""
    events.publish("leads_assigned", {"ids": sorted(lead_ids)}, to=f"user:{user_id}")
