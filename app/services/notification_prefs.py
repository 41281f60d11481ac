"""A user's notification choices, and the signed unsubscribe links in their mails (and in
the new-lead alerts to a distributor's contact address).

The link names a user and one choice (or a distributor and its contact address), signed
with SECRET_KEY; it does not expire (DESIGN: Wave 2 decisions, Mail), so an old mail's link
still works. It can only turn a choice off."""

from collections.abc import Mapping

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from app.extensions import db
from app.models import Distributor, User

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


def distributor_token(distributor_id: int, address: str) -> str:
    """The link of a distributor's alerts: it names the address, so a link from the mails
    to an earlier contact address cannot stop the mails to the next one."""
    return serializer().dumps(["d", distributor_id, address.lower()])


def read_unsubscribe_token(token: str) -> tuple[User | Distributor, str] | None:
    """The active user (or distributor) and the choice a link names, or None for a forged
    or stale link."""
    try:
        found = serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if isinstance(found, list) and len(found) == 3 and found[0] == "d":
        return read_distributor_token(found[1], found[2])
    if not isinstance(found, list) or len(found) != 2:
        return None
    user_id, choice = found
    if choice not in CHOICES or not isinstance(user_id, int):
        return None
    user = db.session.get(User, user_id)
    return (user, choice) if user is not None and user.is_active else None


def read_distributor_token(
    distributor_id: object, address: object
) -> tuple[Distributor, str] | None:
    distributor = (
        db.session.get(Distributor, distributor_id) if isinstance(distributor_id, int) else None
    )
    if distributor is None or (distributor.contact_email or "").lower() != address:
        return None
    return distributor, "notify_new_leads"


def label_of(subject: User | Distributor, choice: str) -> str:
    """What the unsubscribe page says the link stops."""
    if isinstance(subject, Distributor):
        return _l("New-lead alerts for %(name)s", name=subject.name)
    return LABELS[choice]


def unsubscribe(subject: User | Distributor, choice: str) -> None:
    """Turn one choice off (from a mail's link). Caller commits."""
    if isinstance(subject, Distributor):
        subject.notify_new_leads = False
        db.session.flush()
        return
    set_choices(subject, {choice: False})
