import enum
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, str_enum, utcnow


class BackupTrigger(enum.StrEnum):
    SCHEDULE = "schedule"
    MANUAL = "manual"


class BackupStatus(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"


class BackupRun(db.Model):
    """One attempt at a backup: when, which file, how big, and why it failed if it did."""

    __tablename__ = "backup_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[BackupTrigger] = mapped_column(str_enum(BackupTrigger))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[BackupStatus] = mapped_column(str_enum(BackupStatus))
    path: Mapped[str | None] = mapped_column(sa.String(1024))
    size_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    error: Mapped[str | None] = mapped_column(sa.Text)

    @property
    def file_name(self) -> str | None:
        return Path(self.path).name if self.path else None

    def __repr__(self) -> str:
        return f"<BackupRun {self.id} {self.status} {self.path}>"
