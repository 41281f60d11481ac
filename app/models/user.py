import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db, login_manager
from app.models.base import UTCDateTime, str_enum, utcnow


class Role(enum.StrEnum):
    SUPERADMIN = "superadmin"
    STAFF = "staff"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(255))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.STAFF)
    is_active: Mapped[bool] = mapped_column(default=True)
    # tr, en or ar; None follows the browser (then DEFAULT_LOCALE). Pages and emails use it.
    language: Mapped[str | None] = mapped_column(sa.String(8))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_superadmin(self) -> bool:
        return self.role == Role.SUPERADMIN

    def get_id(self) -> str:
        # The session stores id + a password fingerprint: changing the password ends old sessions.
        return f"{self.id}:{self.password_hash[-12:]}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    user_id, _, fingerprint = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.password_hash[-12:] != fingerprint:
        return None
    return user
