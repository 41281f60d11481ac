import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, str_enum, utcnow
from app.models.lead import JSONType

if TYPE_CHECKING:
    from app.models.distributor import Distributor


class ConfigStatus(enum.StrEnum):
    OK = "ok"
    FAILING = "failing"
    NEEDS_REAUTH = "needs_reauth"


class MetaApiConfig(db.Model):
    """One Page connection of a distributor: its encrypted token and sync state."""

    __tablename__ = "meta_api_configs"

    id: Mapped[int] = mapped_column(primary_key=True)
    distributor_id: Mapped[int] = mapped_column(sa.ForeignKey("distributors.id"), index=True)
    page_id: Mapped[str] = mapped_column(sa.String(64))
    # The Page's name as Graph gave it when the connection was made or last checked.
    page_name: Mapped[str | None] = mapped_column(sa.String(255))
    access_token_encrypted: Mapped[str] = mapped_column(sa.Text)
    graph_api_version: Mapped[str | None] = mapped_column(sa.String(16))
    fetch_interval_minutes: Mapped[int] = mapped_column(default=5)
    is_active: Mapped[bool] = mapped_column(default=True)
    status: Mapped[ConfigStatus] = mapped_column(str_enum(ConfigStatus), default=ConfigStatus.OK)
    last_fetch_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # The same failure as a message code + params, translated where it is shown.
    last_error_code: Mapped[str | None] = mapped_column(sa.String(40))
    last_error_params: Mapped[Any | None] = mapped_column(JSONType)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    retry_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(sa.String(80))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    distributor: Mapped["Distributor"] = relationship(back_populates="configs")
    forms: Mapped[list["MetaForm"]] = relationship(
        back_populates="config", cascade="all, delete-orphan", order_by="MetaForm.id"
    )

    def __repr__(self) -> str:
        return f"<MetaApiConfig {self.id} page={self.page_id} {self.status}>"


class MetaForm(db.Model):
    __tablename__ = "meta_forms"

    id: Mapped[int] = mapped_column(primary_key=True)
    config_id: Mapped[int] = mapped_column(sa.ForeignKey("meta_api_configs.id"), index=True)
    form_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str | None] = mapped_column(sa.String(255))
    checkpoint: Mapped[datetime | None] = mapped_column(UTCDateTime)
    leads_count_on_meta: Mapped[int | None]
    leads_counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired_leads_count_on_meta: Mapped[int | None]
    # Meta's count minus what we hold (positive: leads missing here); set by reconciliation.
    shortfall: Mapped[int | None]
    reconciled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deep_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_on_meta: Mapped[str | None] = mapped_column(sa.String(16))
    questions: Mapped[Any | None] = mapped_column(JSONType)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    config: Mapped[MetaApiConfig] = relationship(back_populates="forms")

    @property
    def behind(self) -> bool:
        """Meta holds leads we do not (a deep re-read is due)."""
        return bool(self.shortfall and self.shortfall > 0)

    def labels(self) -> tuple[dict[str, str], dict[str, str]]:
        """(question key → label, option key → option label) from the stored questions."""
        keys, options = {}, {}
        for question in self.questions if isinstance(self.questions, list) else []:
            if isinstance(question, dict) and isinstance(question.get("key"), str):
                keys[question["key"]] = str(question.get("label") or question["key"])
                for option in question.get("options") or []:
                    if isinstance(option, dict) and isinstance(option.get("key"), str):
                        options[option["key"]] = str(option.get("value") or option["key"])
        return keys, options

    def __repr__(self) -> str:
        return f"<MetaForm {self.form_id}>"
