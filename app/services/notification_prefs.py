"""A user's notification choices, and the signed unsubscribe links in their mails.

The link names a user and one choice, signed with SECRET_KEY; it does not expire (DESIGN:
Wave 2 decisions, Mail), so an old mail's link still works. It can only turn a choice off."""

from collections.abc import Mapping

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from app.extensions import db
from app.models import User

SALT = "mail-unsubscribe"
LABELS = {
    "notify_new_leads": _l("New-lead alerts (superadmins)"),
    "notify_assignments": _l("Leads assigned to me"),
    "notify_changes": _l("Changes to my leads made by someone else"),
    "notify_daily_summary": _l("The daily summary at 08:00"),
    "notify_browser": _l("Notifications in this browser"),
}
CHOICES = tuple(LABELS)
# The choice that stops each kind of mail (operational alerts have none).
CHOICE_OF_KIND = {
    "new_lead": "notify_new_leads",
    "new_lead_digest": "notify_new_leads",
    "assignment": "notify_assignments",
    "assignment_digest": "notify_assignments",
    "lead_changed": "notify_changes",
    "daily_summary": "notify_daily_summary",
}


def set_choices(user: User, choices: Mapping[str, bool]) -> None:
    """Set *user*'s choices (names from CHOICES; others are ignored). Caller commits."""
    for name in CHOICES:
        if name in choices:
            setattr(user, name, bool(choices[name]))
    db.session.flush()


def serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def unsubscribe_token(user_id: int, choice: str) -> str:
    return serializer().dumps([user_id, choice])


def read_unsubscribe_token(token: str) -> tuple[User, str] | None:
    """The active user and the choice a link names, or None for a forged or stale link."""
    try:
        user_id, choice = serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if choice not in CHOICES or not isinstance(user_id, int):
        return None
    user = db.session.get(User, user_id)
    return (user, choice) if user is not None and user.is_active else None


def unsubscribe(user: User, choice: str) -> None:
    """Turn one choice off (from a mail's link). Caller commits."""
    set_choices(user, {choice: False})
