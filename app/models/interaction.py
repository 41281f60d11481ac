import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, str_enum, utcnow
from app.models.lead import JSONType

if TYPE_CHECKING:
    from app.models.lead import FacebookLead
    from app.models.user import User


class InteractionType(enum.StrEnum):
    STATUS_CHANGE = "status_change"
    ASSIGNMENT = "assignment"
    NOTE = "note"
    CALL = "call"
    EMAIL = "email"
    WHATSAPP = "whatsapp"
    REINQUIRY = "reinquiry"
    SYSTEM = "system"
    EDIT = "edit"
    MERGE = "merge"


class LeadInteraction(db.Model):
    __tablename__ = "lead_interactions"
    __table_args__ = (sa.Index("ix_lead_interactions_lead_created", "lead_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("facebook_leads.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    interaction_type: Mapped[InteractionType] = mapped_column(str_enum(InteractionType))
    description: Mapped[str | None] = mapped_column(sa.Text)
    result: Mapped[str | None] = mapped_column(sa.String(40))
    # Status history as data: the change this row made (analytics reads these, not the prose).
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str | None] = mapped_column(sa.String(20))
    # What happened, as a message code + params (app/messages.py), translated on display;
    # `description` keeps what a person typed (a note, a reason).
    message_code: Mapped[str | None] = mapped_column(sa.String(40))
    message_params: Mapped[Any | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lead: Mapped["FacebookLead"] = relationship(back_populates="interactions")
    user: Mapped["User | None"] = relationship()

    def __repr__(self) -> str:
        return f"<LeadInteraction {self.id} lead={self.lead_id} {self.interaction_type}>"
