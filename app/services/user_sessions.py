"""Sign-ins (`user_sessions`): one row per login, named by the session cookie and checked on
every request. Logging out ends that one; a password change or a deactivation ends all of a
user's sign-ins (re-issuing the current one after a password change). Their open Socket.IO
connections hear `session_ended` and are disconnected when the transaction commits, on every
process (through the message queue when there is one)."""

import hashlib
import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app import events
from app.extensions import db
from app.models import User, UserSession
from app.models.base import MAX_ID

log = logging.getLogger(__name__)

SECRET_BYTES = 32


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(user: User, *, user_agent: str | None, max_age: timedelta) -> str:
    """Record a sign-in of *user* that lasts at most *max_age*, and set `user.session_key`,
    the value the cookie carries. Caller commits."""
    return open_session(user, user_agent, datetime.now(UTC) + max_age)


def open_session(user: User, user_agent: str | None, expires_at: datetime) -> str:
    now = datetime.now(UTC)
    db.session.execute(sa.delete(UserSession).where(UserSession.expires_at <= now))
    secret = secrets.token_urlsafe(SECRET_BYTES)
    row = UserSession(
        user_id=user.id,
        secret_hash=digest(secret),
        user_agent=(user_agent or "")[:255] or None,
        expires_at=expires_at,
    )
    db.session.add(row)
    db.session.flush()
    user.session_key = f"{row.id}:{secret}"
    return user.session_key


def user_for_key(key: str) -> User | None:
    """The active user of the live sign-in that *key* names, or None (ended, expired, forged)."""
    session_id, _, secret = key.partition(":")
    if not (session_id.isascii() and session_id.isdigit() and secret):
        return None
    if int(session_id) > MAX_ID:
        return None
    row = db.session.execute(
        sa.select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.id == int(session_id))
    ).first()
    if row is None:
        return None
    sign_in, user = row
    if not hmac.compare_digest(sign_in.secret_hash, digest(secret)) or not user.is_active:
        return None
    if sign_in.expires_at <= datetime.now(UTC):
        return None
    user.session_key = key
    return user


def end_session(user: User, reason: str = "signed_out") -> None:
    """End the sign-in *user* is loaded under. Caller commits."""
    if user.session_id is not None:
        db.session.execute(sa.delete(UserSession).where(UserSession.id == user.session_id))
        announce_end([user.session_id], reason)
    user.session_key = None


def end_sessions(user: User, *, reason: str, reissue: int | None = None) -> str | None:
    """End every sign-in of *user*. If *reissue* names one of them, a new sign-in (new id and
    secret, same expiry) replaces it and its key is returned, for the caller to put in that
    cookie. Caller commits."""
    ended = db.session.execute(
        sa.delete(UserSession)
        .where(UserSession.user_id == user.id)
        .returning(UserSession.id, UserSession.user_agent, UserSession.expires_at)
    ).all()
    announce_end([row.id for row in ended], reason)
    log.info("user %s: %d sign-in(s) ended (%s)", user.id, len(ended), reason)
    user.session_key = None
    kept = next((row for row in ended if row.id == reissue), None)
    if kept is None:
        return None
    return open_session(user, kept.user_agent, kept.expires_at)


def announce_end(session_ids: list[int], reason: str) -> None:
    """After commit: `session_ended` to each sign-in's sockets, then disconnect them."""
    for session_id in session_ids:
        room = events.session_room(session_id)
        events.publish("session_ended", {"reason": reason}, to=room)
        events.disconnect_room(room)


def count_sessions(user: User) -> int:
    """How many sign-ins of *user* are recorded (live, or expired and not yet cleared)."""
    query = sa.select(sa.func.count()).where(UserSession.user_id == user.id)
    return db.session.scalar(query) or 0
