import enum
from datetime import datetime, time

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
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
    # Where signing in lands: None = "My day"; "dashboard" (superadmins may choose it).
    start_page: Mapped[str | None] = mapped_column(sa.String(20))
    display_name: Mapped[str | None] = mapped_column(sa.String(120))
    # Notification choices (the account page; an unsubscribe link turns one off).
    notify_new_leads: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    notify_assignments: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    notify_changes: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    notify_daily_summary: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    notify_browser: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Routing: working hours in APP_TIMEZONE (ISO weekdays "12345"; no times = any time of
    # those days; no days = the team's hours), away until a moment, and at most this many
    # open leads (None = no limit).
    work_days: Mapped[str | None] = mapped_column(sa.String(7))
    work_start: Mapped[time | None] = mapped_column(sa.Time)
    work_end: Mapped[time | None] = mapped_column(sa.Time)
    away_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    capacity: Mapped[int | None]

    # Not a column: the sign-in (`user_sessions`) this request runs under, as the cookie names
    # it ("<session id>:<secret>"); set when the user is loaded from the cookie or signs in.
    session_key = None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=password_hash_method())

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username

    @property
    def is_superadmin(self) -> bool:
        return self.role == Role.SUPERADMIN

    @property
    def session_id(self) -> int | None:
        """The id of the `user_sessions` row of this request's sign-in."""
        return int(self.session_key.partition(":")[0]) if self.session_key else None

    def get_id(self) -> str:
        # What Flask-Login puts in the cookie: the sign-in, not the user (see user_sessions).
        if not self.session_key:
            raise RuntimeError("start a session first (user_sessions.start_session)")
        return self.session_key

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


def password_hash_method() -> str:
    """scrypt (Config.PASSWORD_HASH_METHOD); the test suite's config trades it for a cheap
    hash, as ~0.1 s a hash was a large part of its time."""
    if has_app_context():
        return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return "scrypt"
