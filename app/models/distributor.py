from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.meta_config import MetaApiConfig


class Distributor(db.Model):
    __tablename__ = "distributors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    contact_email: Mapped[str | None] = mapped_column(sa.String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Of the mails to contact_email: tr, en or ar; None means DEFAULT_LOCALE.
    language: Mapped[str | None] = mapped_column(sa.String(8))
    # New-lead alerts to contact_email; their unsubscribe link turns this off.
    notify_new_leads: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    configs: Mapped[list["MetaApiConfig"]] = relationship(back_populates="distributor")

    def __repr__(self) -> str:
        return f"<Distributor {self.id} {self.name!r}>"
