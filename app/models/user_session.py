from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class UserSession(db.Model):
    """One sign-in of a user. The session cookie names it by id and carries a secret whose
    hash is kept here; deleting the row ends that sign-in wherever the cookie is used."""

    __tablename__ = "user_sessions"
    # Ids never come back on SQLite either: a socket room `session:<id>` names one sign-in.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64))  # sha256 hex of the cookie's secret
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}>"
