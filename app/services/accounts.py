"""Users and distributors."""

import functools
from datetime import UTC, datetime

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from app.errors import ValidationError
from app.extensions import db
from app.models import Distributor, Role, User

MIN_PASSWORD_LENGTH = 8


@functools.cache
def dummy_hash() -> str:
    return generate_password_hash("not-a-real-password", method="scrypt")


def create_user(
    username: str, password: str, *, role: Role = Role.STAFF, email: str | None = None
) -> User:
    """Add a user with a scrypt-hashed password; raises ValidationError. Caller commits."""
    username = username.strip()
    if not username or len(username) > 64:
        raise ValidationError("Username must be 1–64 characters.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters.")
    if get_user_by_username(username) is not None:
        raise ValidationError(f"User {username!r} already exists.")
    user = User(username=username, email=email, role=Role(role))
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def get_user_by_username(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username.strip()))


def authenticate(username: str, password: str) -> User | None:
    """The active user with this password, or None (same answer, and the same time spent
    hashing, for unknown users)."""
    user = get_user_by_username(username)
    if user is None:
        check_password_hash(dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    user.last_login_at = datetime.now(UTC)
    return user


def list_staff() -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.is_active).order_by(User.username)))


def create_distributor(name: str, contact_email: str | None = None) -> Distributor:
    """Add a distributor; raises ValidationError on a taken name. Caller commits."""
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationError("Distributor name must be 1–120 characters.")
    if get_distributor_by_name(name) is not None:
        raise ValidationError(f"Distributor {name!r} already exists.")
    distributor = Distributor(name=name, contact_email=contact_email)
    db.session.add(distributor)
    db.session.flush()
    return distributor


def get_distributor_by_name(name: str) -> Distributor | None:
    return db.session.scalar(sa.select(Distributor).where(Distributor.name == name.strip()))


def list_distributors() -> list[Distributor]:
    return list(db.session.scalars(sa.select(Distributor).order_by(Distributor.name)))
