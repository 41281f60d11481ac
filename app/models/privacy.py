"""Health-data protection: erasures and their tombstones, retention runs, the access log.

A tombstone holds only keyed hashes (HMAC under PRIVACY_HASH_KEYS) of an erased person's Meta
lead ids, phones and emails, so a later poll, webhook or backfill can recognise them without
the database keeping who they were. Audit rows name the erasure, never the person."""

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, str_enum, utcnow
from app.models.lead import JSONType


class TombstoneKind(enum.StrEnum):
    LEAD = "lead"  # a Meta lead id: always blocks
    PHONE = "phone"  # an E.164 phone: blocks leads submitted before the erasure
    EMAIL = "email"  # a folded email: the same


class PrivacyErasure(db.Model):
    """One erasure: who did it, when, why and how much went (no trace of the person)."""

    __tablename__ = "privacy_erasures"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(sa.String(80))  # the username, or "cli"
    channel: Mapped[str] = mapped_column(sa.String(8))  # "cli" or "web"
    reason: Mapped[str] = mapped_column(sa.Text)
    leads: Mapped[int] = mapped_column(default=0)
    removed: Mapped[Any | None] = mapped_column(JSONType)  # table → rows removed

    def __repr__(self) -> str:
        return f"<PrivacyErasure {self.id} leads={self.leads}>"


class PrivacyTombstone(db.Model):
    """One keyed hash of an erased person's lead id, phone or email."""

    __tablename__ = "privacy_tombstones"

    id: Mapped[int] = mapped_column(primary_key=True)
    erasure_id: Mapped[int] = mapped_column(
        sa.ForeignKey("privacy_erasures.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[TombstoneKind] = mapped_column(str_enum(TombstoneKind, 8))
    digest: Mapped[str] = mapped_column(sa.String(64), index=True)
    # For a lead id: its form and when it was received (reconciliation counts erased leads).
    form_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<PrivacyTombstone {self.id} {self.kind}>"


class PrivacyRun(db.Model):
    """One retention purge (or a dry run of one): what it removed, per kind."""

    __tablename__ = "privacy_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trigger: Mapped[str] = mapped_column(sa.String(16))  # "schedule" or "manual"
    dry_run: Mapped[bool] = mapped_column(default=False)
    counts: Mapped[Any | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(sa.Text)

    def __repr__(self) -> str:
        return f"<PrivacyRun {self.id} dry={self.dry_run}>"


class AccessAction(enum.StrEnum):
    VIEW = "view"  # a lead's page
    API = "api"  # a lead's API record
    EXPORT = "export"  # a lead export (the filter, `q` hashed)
    ERASE = "erase"  # an erasure (names the erasure, not the person)
    SUBJECT_EXPORT = "subject_export"  # everything held about a person, on request


class AccessLog(db.Model):
    """Who opened which lead, exported what, erased whom: one row each, kept
    ACCESS_LOG_RETENTION_DAYS."""

    __tablename__ = "access_log"
    __table_args__ = (sa.Index("ix_access_log_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[AccessAction] = mapped_column(str_enum(AccessAction, 16))
    lead_id: Mapped[int | None] = mapped_column(index=True)  # no FK: the row outlives the lead
    erasure_id: Mapped[int | None]
    detail: Mapped[Any | None] = mapped_column(JSONType)  # no PII: counts, hashed terms

    def __repr__(self) -> str:
        return f"<AccessLog {self.id} {self.action} lead={self.lead_id}>"
