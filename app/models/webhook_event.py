import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, str_enum, utcnow
from app.models.lead import JSONType


class WebhookEventStatus(enum.StrEnum):
    PENDING = "pending"  # stored, waiting to be fetched (or to retry)
    PROCESSING = "processing"  # claimed by a worker
    DONE = "done"  # the lead is stored (by this event or already by the poll)
    UNKNOWN_PAGE = "unknown_page"  # no active config owns the page/form: kept and shown
    FAILED = "failed"  # gave up after retries, or Meta refused for good


class MetaWebhookEvent(db.Model):
    """One `leadgen` change from Meta's webhook, persisted before we acknowledge it."""

    __tablename__ = "meta_webhook_events"
    __table_args__ = (sa.Index("ix_meta_webhook_events_status_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    leadgen_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    page_id: Mapped[str | None] = mapped_column(sa.String(64))
    form_id: Mapped[str | None] = mapped_column(sa.String(64))
    config_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meta_api_configs.id"))
    lead_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("facebook_leads.id", ondelete="SET NULL")
    )
    payload: Mapped[Any] = mapped_column(JSONType)
    status: Mapped[WebhookEventStatus] = mapped_column(
        str_enum(WebhookEventStatus), default=WebhookEventStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    last_error_code: Mapped[str | None] = mapped_column(sa.String(40))
    last_error_params: Mapped[Any | None] = mapped_column(JSONType)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<MetaWebhookEvent {self.id} {self.status}>"
