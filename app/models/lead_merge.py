"""Two leads of one person merged into one (`lead_merges`): which lead survived, what its
fields and links were before, so the merge can be undone for a while."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.lead import JSONType


class LeadMerge(db.Model):
    """The other lead became a re-inquiry of the survivor; `before` holds what undo restores."""

    __tablename__ = "lead_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(
        sa.ForeignKey("facebook_leads.id", ondelete="CASCADE"), index=True
    )
    other_id: Mapped[int] = mapped_column(
        sa.ForeignKey("facebook_leads.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    before: Mapped[Any] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<LeadMerge {self.id} {self.other_id}→{self.survivor_id}>"
