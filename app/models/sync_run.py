import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, str_enum, utcnow
from app.models.lead import JSONType


class SyncTrigger(enum.StrEnum):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    WEBHOOK = "webhook"
    BACKFILL = "backfill"
    RECONCILE = "reconcile"  # a deep re-read after Meta's count showed leads missing here


class SyncStatus(enum.StrEnum):
    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # its process died; closed when the next sync took the lease


class SyncRun(db.Model):
    """One sync of one form: what was fetched, created, skipped and why it ended."""

    __tablename__ = "sync_runs"
    __table_args__ = (sa.Index("ix_sync_runs_config_started", "config_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    config_id: Mapped[int] = mapped_column(sa.ForeignKey("meta_api_configs.id"))
    form_id: Mapped[str | None] = mapped_column(sa.String(64))
    trigger: Mapped[SyncTrigger] = mapped_column(str_enum(SyncTrigger))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[SyncStatus] = mapped_column(str_enum(SyncStatus), default=SyncStatus.RUNNING)
    fetched: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    # Leads of erased people Meta still lists: skipped, not an error.
    erased: Mapped[int] = mapped_column(default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(sa.Text)
    error_code: Mapped[str | None] = mapped_column(sa.String(40))
    error_params: Mapped[Any | None] = mapped_column(JSONType)

    def __repr__(self) -> str:
        return f"<SyncRun {self.id} form={self.form_id} {self.status}>"
