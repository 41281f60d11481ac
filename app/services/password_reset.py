"""Password reset by mail: "Forgot password?" and a superadmin's "Send a reset link".

The link carries a token signed with SECRET_KEY that names the user and a fingerprint of
their current password hash, made when the mail is sent (the outbox keeps no token) and
valid RESET_TOKEN_MINUTES (30): setting a new password changes the hash, so a link works
once. Asking for a link answers the same whether or not the account exists."""

import hashlib
import hmac
import logging
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.extensions import db
from app.models import OutboxMail, User
from app.services import mail_outbox
from app.services.mail_render import Built, builder

log = logging.getLogger(__name__)
SALT = "password-reset"
KIND = "password_reset"
ONE_A = timedelta(minutes=1)  # at most one reset mail a user in any such span


def serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def current_minutes() -> int:
    return current_app.config["RESET_TOKEN_MINUTES"]


def make_token(user: User) -> str:
    return serializer().dumps([user.id, fingerprint(user)])


def user_for_token(token: str) -> User | None:
    """The active user a valid, unexpired, unused token names, or None."""
    max_age = current_app.config["RESET_TOKEN_MINUTES"] * 60
    try:
        user_id, mark = serializer().loads(token[:512], max_age=max_age)
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        return None
    if not isinstance(user_id, int) or not isinstance(mark, str):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or not hmac.compare_digest(fingerprint(user), mark):
        return None
    return user


def find_user(identifier: str) -> User | None:
    """The active user with this username or email (case-insensitive), if exactly one."""
    value = identifier.strip().lower()[:255]
    if not value:
        return None
    users = db.session.scalars(
        sa.select(User).where(
            User.is_active,
            User.email.is_not(None),
            sa.or_(sa.func.lower(User.username) == value, sa.func.lower(User.email) == value),
        )
    ).all()
    return users[0] if len(users) == 1 else None


def request_reset(identifier: str, now: datetime | None = None) -> bool:
    """Queue a reset link to the account *identifier* names, if any (the caller shows the
    same answer either way). At most one mail a minute per user. Caller commits."""
    user = find_user(identifier)
    if user is None:
        return False
    send_link(user, now)
    return True


def send_link(user: User, now: datetime | None = None) -> bool:
    """Queue a reset link to *user*'s email (False: they have none). Caller commits."""
    if not user.email:
        return False
    now = now or datetime.now(UTC)
    if sent_within(user.id, now - ONE_A):
        return True  # the link queued moments ago is the one to use
    minute = now.strftime("%Y%m%d%H%M")  # two asks at the same moment: one row
    mail_outbox.queue_mail(KIND, user.email, key=f"{KIND}:{user.id}:{minute}", user_id=user.id)
    log.info("password reset link queued for user %s", user.id)
    return True


def sent_within(user_id: int, since: datetime) -> bool:
    """Whether a reset mail to *user_id* was queued after *since*: a rolling minute, where
    the key's calendar minute alone let two asks a moment apart across its turn both mail."""
    last = db.session.scalar(
        sa.select(sa.func.max(OutboxMail.created_at)).where(
            OutboxMail.kind == KIND, OutboxMail.user_id == user_id
        )
    )
    return last is not None and last > since


@builder(KIND)
def build_reset_mail(mail: OutboxMail) -> Built:
    user = db.session.get(User, mail.user_id) if mail.user_id else None
    if user is None or not user.is_active or user.email != mail.recipient:
        return None
    link = url_for("auth.reset_password", token=make_token(user), _external=True)
    minutes = current_app.config["RESET_TOKEN_MINUTES"]
    return _("[Meta Lead Desk] Reset your password"), {
        "user": user,
        "link": link,
        "minutes": minutes,
    }
