"""Two-factor sign-in with TOTP (RFC 6238: 6 digits, 30-second steps, one step of clock skew
either way), ten one-time recovery codes, and "remember this device for 30 days".

A code is accepted once: the step it belongs to is stored and no code of that step or an
earlier one is taken again. Secrets are encrypted like Meta tokens; recovery codes and device
secrets are kept as SHA-256 hashes. Superadmins must use it once the policy switch is on."""

import hmac
import io
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
import qrcode
import qrcode.image.svg
import sqlalchemy as sa
from flask_babel import gettext as _

from app import crypto
from app.errors import DomainError
from app.extensions import db
from app.models import AppSetting, RecoveryCode, TrustedDevice, User, UserTwoFactor
from app.models.base import MAX_ID
from app.services.user_sessions import digest  # the one SHA-256 of a secret

STEP_S = 30
SKEW_STEPS = 1
RECOVERY_CODES = 10
DEVICE_DAYS = 30
POLICY_KEY = "require_superadmin_2fa"
CODE_CHARS = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


class TwoFactorError(DomainError):
    """A wrong, reused or expired code."""


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: str


def get_record(user: User) -> UserTwoFactor | None:
    return db.session.get(UserTwoFactor, user.id)


def is_enabled(user: User) -> bool:
    record = get_record(user)
    return record is not None and record.confirmed_at is not None


def is_required(user: User) -> bool:
    """True when *user* must have two-factor sign-in and has not set it up yet."""
    return user.is_superadmin and policy_on() and not is_enabled(user)


def enabled_user_ids() -> set[int]:
    return set(
        db.session.scalars(
            sa.select(UserTwoFactor.user_id).where(UserTwoFactor.confirmed_at.is_not(None))
        )
    )


def policy_on() -> bool:
    setting = db.session.get(AppSetting, POLICY_KEY)
    return bool(setting and setting.value)


def set_policy(on: bool) -> None:
    """Require two-factor sign-in of every superadmin (or stop requiring it). Caller commits."""
    setting = db.session.get(AppSetting, POLICY_KEY) or AppSetting(key=POLICY_KEY)
    setting.value = bool(on)
    db.session.add(setting)


def begin_enrolment(user: User, issuer: str) -> Enrolment:
    """A new secret for *user* (replacing an unconfirmed one), its otpauth URI and QR code.
    Caller commits."""
    if is_enabled(user):
        raise TwoFactorError(_("Two-factor sign-in is already on."))
    record = get_record(user)
    if record is None:
        record = UserTwoFactor(user_id=user.id, secret_encrypted="")
        db.session.add(record)
    secret = pyotp.random_base32()
    record.secret_encrypted = crypto.encrypt_token(secret)
    record.last_step = None
    return enrolment(user, secret, issuer)


def pending_enrolment(user: User, issuer: str) -> Enrolment | None:
    """The enrolment started and not confirmed yet (the page reloaded), or None."""
    record = get_record(user)
    if record is None or record.confirmed_at is not None:
        return None
    return enrolment(user, crypto.decrypt_token(record.secret_encrypted), issuer)


def enrolment(user: User, secret: str, issuer: str) -> Enrolment:
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=issuer)
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return Enrolment(secret, uri, buffer.getvalue().decode())


def confirm_enrolment(user: User, code: str, now: datetime) -> list[str]:
    """Turn two-factor sign-in on with a first good code; return the recovery codes (shown
    once). Caller commits."""
    record = get_record(user)
    if record is None or record.confirmed_at is not None:
        raise TwoFactorError(_("Start the set-up again."))
    if not accept_totp(record, code, now):
        raise TwoFactorError(_("That code is not right. Check the time on your phone."))
    record.confirmed_at = now
    return new_recovery_codes(user)


def new_recovery_codes(user: User) -> list[str]:
    """Replace *user*'s recovery codes with ten new ones. Caller commits."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        "-".join("".join(secrets.choice(CODE_CHARS) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODES)
    ]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=digest(code)) for code in codes)
    return codes


def verify(user: User, code: str, now: datetime) -> bool:
    """True for a current TOTP code not used before, or an unused recovery code (then used
    up). Caller commits."""
    record = get_record(user)
    if record is None or record.confirmed_at is None:
        return False
    cleaned = "".join(code.split()).lower()
    if cleaned.isdigit():
        return accept_totp(record, cleaned, now)
    return use_recovery_code(user, cleaned, now)


def accept_totp(record: UserTwoFactor, code: str, now: datetime) -> bool:
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(crypto.decrypt_token(record.secret_encrypted))
    current = int(now.timestamp()) // STEP_S
    for step in range(current - SKEW_STEPS, current + SKEW_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_S), code):
            if record.last_step is not None and step <= record.last_step:
                return False  # replayed (or older than one already used)
            record.last_step = step
            return True
    return False


def use_recovery_code(user: User, code: str, now: datetime) -> bool:
    result = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == digest(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return result.rowcount == 1


def count_recovery_codes(user: User) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def disable(user: User) -> None:
    """Turn two-factor sign-in off: the secret, recovery codes and remembered devices go.
    Also `flask users reset-2fa`. Caller commits."""
    for model in (UserTwoFactor, RecoveryCode, TrustedDevice):
        db.session.execute(sa.delete(model).where(model.user_id == user.id))


def forget_devices(user: User) -> None:
    """No remembered device of *user* skips the code any more (a password change). Caller
    commits."""
    db.session.execute(sa.delete(TrustedDevice).where(TrustedDevice.user_id == user.id))


def remember_device(user: User, now: datetime) -> str:
    """A new remembered device; returns the cookie value. Caller commits."""
    db.session.execute(
        sa.delete(TrustedDevice).where(
            TrustedDevice.user_id == user.id, TrustedDevice.expires_at <= now
        )
    )
    secret = secrets.token_urlsafe(32)
    device = TrustedDevice(
        user_id=user.id, secret_hash=digest(secret), expires_at=now + timedelta(days=DEVICE_DAYS)
    )
    db.session.add(device)
    db.session.flush()
    return f"{device.id}:{secret}"


def device_is_trusted(user: User, cookie: str | None, now: datetime) -> bool:
    """True when *cookie* names a live remembered device of *user*."""
    device_id, _, secret = (cookie or "").partition(":")
    if not (device_id.isascii() and device_id.isdigit() and secret) or int(device_id) > MAX_ID:
        return False
    device = db.session.get(TrustedDevice, int(device_id))
    if device is None or device.user_id != user.id:
        return False
    expires = device.expires_at.replace(tzinfo=device.expires_at.tzinfo or UTC)
    return expires > now and hmac.compare_digest(device.secret_hash, digest(secret))
