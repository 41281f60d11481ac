"""Two-factor sign-in (TOTP): a user's secret, their one-time recovery codes, the devices
they asked to be remembered on, and the deployment's settings (the policy switch)."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.lead import JSONType


def user_fk() -> sa.ForeignKey:
    return sa.ForeignKey("users.id", ondelete="CASCADE")


class UserTwoFactor(db.Model):
    """A user's TOTP secret (encrypted), confirmed once they typed a first code."""

    __tablename__ = "user_two_factor"

    user_id: Mapped[int] = mapped_column(user_fk(), primary_key=True)
    secret_encrypted: Mapped[str] = mapped_column(sa.Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last 30-second step a code was accepted for: a code is never accepted twice.
    last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<UserTwoFactor user={self.user_id} confirmed={self.confirmed_at is not None}>"


class RecoveryCode(db.Model):
    __tablename__ = "user_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(user_fk(), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<RecoveryCode {self.id} user={self.user_id}>"


class TrustedDevice(db.Model):
    """ "Remember this device": the cookie carries `<id>:<secret>`; only the hash is kept."""

    __tablename__ = "user_trusted_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(user_fk(), index=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<TrustedDevice {self.id} user={self.user_id}>"


class AppSetting(db.Model):
    """A deployment-wide setting changed in the app (not the environment), as JSON."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[Any | None] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<AppSetting {self.key}>"
