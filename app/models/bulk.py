"""Bulk actions (`bulk_jobs`, with what each lead was before: `bulk_job_items`) and the record
of every export (`export_audit`)."""

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, str_enum, utcnow
from app.models.lead import JSONType


class BulkAction(enum.StrEnum):
    STATUS = "status"
    ASSIGN = "assign"
    DELETE = "delete"
    RESTORE = "restore"


class BulkState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    INTERRUPTED = "interrupted"
    FAILED = "failed"
    UNDONE = "undone"


class BulkJob(db.Model):
    """One bulk action: who, when, what, over which selection, how far it got, what it did."""

    __tablename__ = "bulk_jobs"
    __table_args__ = (sa.Index("ix_bulk_jobs_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[BulkAction] = mapped_column(str_enum(BulkAction))
    # {"status": …} | {"user_id": …} | {"user_ids": […]}: the action's own arguments.
    params: Mapped[Any] = mapped_column(JSONType)
    # {"ids": […]} or {"filter": {query args}} (a search `q` stored hashed).
    selection: Mapped[Any] = mapped_column(JSONType)
    state: Mapped[BulkState] = mapped_column(str_enum(BulkState), default=BulkState.QUEUED)
    matched: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    changed: Mapped[int] = mapped_column(default=0)
    # {"items": [{"id", "reason"}] (at most 100), "counts": {reason: n}}
    skipped: Mapped[Any | None] = mapped_column(JSONType)
    last_id: Mapped[int] = mapped_column(default=0)  # the keyset cursor: resumable
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # {"undone": n, "counts": {reason: n}} once undone
    undo_result: Mapped[Any | None] = mapped_column(JSONType)

    def __repr__(self) -> str:
        return f"<BulkJob {self.id} {self.action} {self.state}>"


class BulkJobItem(db.Model):
    """A lead a bulk job changed, with what it was before (for undo) and the version the
    change left it at (undo only puts back leads nobody has changed since)."""

    __tablename__ = "bulk_job_items"

    job_id: Mapped[int] = mapped_column(
        sa.ForeignKey("bulk_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    lead_id: Mapped[int] = mapped_column(
        sa.ForeignKey("facebook_leads.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    version_after: Mapped[int]
    old_status: Mapped[str] = mapped_column(sa.String(20))
    old_assigned_to_id: Mapped[int | None]
    old_deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    old_first_contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    old_qualified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    old_converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    old_lost_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExportAudit(db.Model):
    """Every export: who, when, which leads (filter or ids), which format and columns, rows."""

    __tablename__ = "export_audit"
    __table_args__ = (sa.Index("ix_export_audit_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    format: Mapped[str] = mapped_column(sa.String(8))
    selection: Mapped[Any] = mapped_column(JSONType)
    columns: Mapped[Any] = mapped_column(JSONType)
    rows: Mapped[int] = mapped_column(default=0)
    # streaming | done | building | ready | failed (a large XLSX is built in the background)
    state: Mapped[str] = mapped_column(sa.String(12), default="streaming")
    file_name: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<ExportAudit {self.id} {self.format} rows={self.rows}>"
