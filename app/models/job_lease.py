from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime


class JobLease(db.Model):
    """When a periodic job is next due, deployment-wide: with several servers each running the
    scheduler, the one that claims a period runs the job and the others skip it."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    next_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(120))

    def __repr__(self) -> str:
        return f"<JobLease {self.name} next={self.next_due_at:%Y-%m-%d %H:%M:%S}>"
