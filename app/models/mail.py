import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, str_enum, utcnow
from app.models.lead import JSONType


class MailStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its first try
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # a try failed; it is tried again at next_attempt_at
    DEAD = "dead"  # given up: refused for good, or too many tries (last_error says why)


class OutboxMail(db.Model):
    """One mail to one recipient, queued in the transaction of the change that causes it and
    rendered in the recipient's language when it is sent (so an erased lead leaves no copy)."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        sa.Index("ix_mail_outbox_status_due", "status", "next_attempt_at"),
        sa.Index("ix_mail_outbox_recipient_created", "recipient", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    recipient: Mapped[str] = mapped_column(sa.String(255))
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The lead a single-lead mail is about (privacy erasure deletes its mails with it).
    lead_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("facebook_leads.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str | None] = mapped_column(sa.String(8))
    params: Mapped[Any | None] = mapped_column(JSONType)
    # One event to one recipient: a second insert of the same key does nothing.
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    status: Mapped[MailStatus] = mapped_column(str_enum(MailStatus), default=MailStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set while a sender holds the mail; a sender that died lets go when it passes.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<OutboxMail {self.id} {self.kind} {self.status}>"


class DigestPart(db.Model):
    """A page of leads gathered into a digest mail (a new-lead or assignment digest) while a
    burst goes on: the digest is the union of its parts. A list held in the mail's own JSON
    was read and rewritten whole for every page, which made a 10,000-lead backfill with
    alerts on an eighth slower on PostgreSQL (and a row per lead, a tenth). Ids only: an
    erased lead is not shown (the mail is written from the live leads when it is sent)."""

    __tablename__ = "mail_digest_parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    mail_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mail_outbox.id", ondelete="CASCADE"), index=True
    )
    lead_ids: Mapped[list[int]] = mapped_column(JSONType)
