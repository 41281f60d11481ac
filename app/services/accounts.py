"""Users and distributors."""

import functools
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from app.errors import DomainError, ValidationError
from app.extensions import db
from app.i18n import LANGUAGES, is_language
from app.models import Distributor, LeadCounter, MetaApiConfig, Role, User
from app.models.user import password_hash_method
from app.services import two_factor, user_sessions

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class DistributorSummary:
    """A distributor with how many Meta connections and leads it has."""

    distributor: Distributor
    config_count: int
    lead_count: int


def dummy_hash() -> str:
    return _dummy_hash(password_hash_method())


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not-a-real-password", method=method)


def create_user(
    username: str,
    password: str,
    *,
    role: Role = Role.STAFF,
    email: str | None = None,
    language: str | None = None,
) -> User:
    """Add a user with a hashed password (scrypt: Config.PASSWORD_HASH_METHOD; *language*
    None: the browser's); raises ValidationError. Caller commits."""
    username = username.strip()
    if not username or len(username) > 64:
        raise ValidationError(_("Username must be 1–64 characters."))
    check_password_length(password)
    if get_user_by_username(username) is not None:
        raise ValidationError(_("User %(name)r already exists.", name=username))
    user = User(
        username=username,
        email=(email or "").strip() or None,
        role=Role(role),
        language=checked_language(language),
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def check_password_length(password: str) -> None:
    """Raise ValidationError if *password* is shorter than MIN_PASSWORD_LENGTH."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            _("Password must be at least %(count)s characters.", count=MIN_PASSWORD_LENGTH)
        )


def checked_language(language: str | None) -> str | None:
    """*language* if it is one of the desk's (None and "" mean none); raises ValidationError."""
    if not language:
        return None
    if not is_language(language):
        raise ValidationError(
            _(
                "Unknown language %(code)s: use one of %(codes)s.",
                code=language,
                codes=", ".join(LANGUAGES),
            )
        )
    return language


def set_language(user: User, language: str | None) -> None:
    """Set *user*'s own language (None: follow the browser); raises ValidationError. Caller
    commits."""
    user.language = checked_language(language)
    db.session.flush()


# Where signing in lands: everyone's "My day"; a superadmin may choose the dashboard.
START_PAGES = ("my_day", "dashboard")


def start_page(user: User) -> str:
    """The page *user* lands on after signing in (`my_day` or `dashboard`)."""
    return "dashboard" if user.is_superadmin and user.start_page == "dashboard" else "my_day"


def set_start_page(user: User, page: str) -> None:
    """Choose the landing page; only superadmins may pick the dashboard. Caller commits."""
    if page not in START_PAGES:
        raise ValidationError(_("Choose My day or the dashboard."))
    if page == "dashboard" and not user.is_superadmin:
        raise ValidationError(_("Only a superadmin can start on the dashboard."))
    user.start_page = None if page == "my_day" else page
    db.session.flush()


def update_profile(
    user: User, *, email: str | None, display_name: str | None, language: str | None
) -> None:
    """Set *user*'s own address (checked; "" removes it: no mail then), display name and
    language; raises ValidationError. Caller commits."""
    user.email = checked_email(email)
    name = " ".join((display_name or "").split())
    if len(name) > 120:
        raise ValidationError(_("A display name has at most 120 characters."))
    user.display_name = name or None
    user.language = checked_language(language)
    db.session.flush()


def update_user(
    user: User,
    *,
    email: str | None,
    display_name: str | None,
    role: Role | str,
    language: str | None,
) -> None:
    """A superadmin edits *user*'s address, display name, role and language; raises
    ValidationError, or DomainError when the last active superadmin would lose the role.
    Caller commits."""
    role = Role(role)
    if user.is_superadmin and role is not Role.SUPERADMIN and user.is_active:
        query = sa.select(User.id).where(User.role == Role.SUPERADMIN, User.is_active)
        if len(db.session.scalars(query.with_for_update()).all()) <= 1:
            raise DomainError(_("The last active superadmin must stay a superadmin."))
    update_profile(user, email=email, display_name=display_name, language=language)
    user.role = role
    db.session.flush()
    log.info("user %s edited (role %s)", user.id, role.value)


def checked_email(email: str | None) -> str | None:
    """*email* as a deliverable-looking address (None for ""), or ValidationError."""
    email = (email or "").strip()
    if not email:
        return None
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationError(_("That is not an email address.")) from None


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


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


def list_users() -> list[User]:
    """Every user, active or not, by username."""
    return list(db.session.scalars(sa.select(User).order_by(User.username)))


def set_user_active(user: User, active: bool, *, actor: User) -> None:
    """Activate or deactivate *user* (a deactivation ends their sign-ins and open sockets);
    raises DomainError for *actor* themself or the last active superadmin. Caller commits."""
    if not active and user.id == actor.id:
        raise DomainError(_("You cannot deactivate your own account."))
    if not active and user.is_active and user.is_superadmin:
        # FOR UPDATE (PostgreSQL): two admins deactivating each other at once must not both
        # pass this check; the second waits, then sees one active superadmin left.
        query = sa.select(User.id).where(User.role == Role.SUPERADMIN, User.is_active)
        if len(db.session.scalars(query.with_for_update()).all()) <= 1:
            raise DomainError(_("The last active superadmin cannot be deactivated."))
    user.is_active = active
    if not active:
        user_sessions.end_sessions(user, reason="deactivated")
    db.session.flush()
    log.info("user %s %s by user %s", user.id, "activated" if active else "deactivated", actor.id)


def reset_password(user: User, password: str, *, keep_session: int | None = None) -> str | None:
    """Give *user* a new password and end all their sign-ins; *keep_session* (the caller's own
    sign-in, when it is *user*'s) is re-issued and its new key returned for the cookie. Raises
    ValidationError. Caller commits."""
    check_password_length(password)
    user.set_password(password)
    key = user_sessions.end_sessions(user, reason="password_changed", reissue=keep_session)
    two_factor.forget_devices(user)  # a remembered device asks for a code again
    db.session.flush()
    log.info("password of user %s reset", user.id)
    return key


def change_password(
    user: User, current: str, new: str, *, keep_session: int | None = None
) -> str | None:
    """*user* changes their own password: *current* must be right. Every other sign-in ends;
    *keep_session* is re-issued and its new key returned for the cookie. Raises
    ValidationError. Caller commits."""
    if not user.check_password(current):
        raise ValidationError(_("The current password is wrong."))
    if new == current:
        raise ValidationError(_("The new password is the same as the current one."))
    return reset_password(user, new, keep_session=keep_session)


def create_distributor(
    name: str, contact_email: str | None = None, language: str | None = None
) -> Distributor:
    """Add a distributor (*language*: of the mails to its contact address); raises
    ValidationError on a taken name. Caller commits."""
    name = checked_distributor_name(name)
    distributor = Distributor(
        name=name,
        contact_email=(contact_email or "").strip() or None,
        language=checked_language(language),
    )
    db.session.add(distributor)
    db.session.flush()
    return distributor


def update_distributor(
    distributor: Distributor,
    name: str,
    contact_email: str | None = None,
    language: str | None = None,
    *,
    notify_new_leads: bool | None = None,
) -> Distributor:
    """Rename *distributor*, set its contact email, the language of mails to it and whether
    that address gets new-lead alerts; raises ValidationError on a taken name. Caller commits."""
    name = checked_distributor_name(name, keep=distributor)
    distributor.name = name
    distributor.contact_email = (contact_email or "").strip() or None
    distributor.language = checked_language(language)
    if notify_new_leads is not None:
        distributor.notify_new_leads = notify_new_leads
    db.session.flush()
    return distributor


def checked_distributor_name(name: str, keep: Distributor | None = None) -> str:
    """*name* stripped; raises ValidationError if it is empty, too long or taken by another
    distributor (ignoring case, so "Acme" and "ACME" cannot both exist)."""
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationError(_("Distributor name must be 1–120 characters."))
    query = sa.select(Distributor.id).where(sa.func.lower(Distributor.name) == name.lower())
    if keep is not None:
        query = query.where(Distributor.id != keep.id)
    if db.session.scalar(query.limit(1)) is not None:
        raise ValidationError(_("Distributor %(name)r already exists.", name=name))
    return name


def set_distributor_active(distributor: Distributor, active: bool) -> None:
    """Activate or deactivate *distributor*. Caller commits."""
    distributor.is_active = active
    db.session.flush()
    log.info("distributor %s %s", distributor.id, "activated" if active else "deactivated")


def get_distributor(distributor_id: int) -> Distributor | None:
    return db.session.get(Distributor, distributor_id)


def get_distributor_by_name(name: str) -> Distributor | None:
    return db.session.scalar(sa.select(Distributor).where(Distributor.name == name.strip()))


def list_distributors() -> list[Distributor]:
    return list(db.session.scalars(sa.select(Distributor).order_by(Distributor.name)))


def list_distributor_summaries() -> list[DistributorSummary]:
    """Every distributor with its number of Meta configs and stored (not deleted) leads."""
    per_config = sa.select(MetaApiConfig.distributor_id, sa.func.count()).group_by(
        MetaApiConfig.distributor_id
    )
    # The lead counters already hold per-distributor totals: no scan of the leads table.
    per_lead = sa.select(LeadCounter.distributor_id, sa.func.sum(LeadCounter.n)).group_by(
        LeadCounter.distributor_id
    )
    configs = dict(db.session.execute(per_config).tuples().all())
    leads = dict(db.session.execute(per_lead).tuples().all())
    return [
        DistributorSummary(d, configs.get(d.id, 0), int(leads.get(d.id) or 0))
        for d in list_distributors()
    ]
