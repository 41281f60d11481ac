"""A person's availability for routing: working days and hours, away until, capacity."""

from collections.abc import Iterable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from app.errors import ValidationError
from app.extensions import db
from app.models import User
from app.services.routing.rules import MAX_CAPACITY


def set_availability(
    user: User,
    *,
    days: Iterable[int],
    hours: tuple[time | None, time | None],
    away_until: datetime | None,
    capacity: int | None,
) -> None:
    """Save *user*'s hours (no days: the team's hours), away-until (a naive time is in
    *APP_TIMEZONE*: pass it aware) and capacity (None: no limit). Raises ValidationError."""
    chosen = sorted({int(d) for d in days})
    start, end = hours
    if any(not 1 <= d <= 7 for d in chosen):
        raise ValidationError(_("Working days are weekday digits, Monday = 1 (e.g. 12345)."))
    if not chosen and (start or end):
        raise ValidationError(_("Choose the days these hours are worked."))
    if start is not None and end is not None and start == end:
        raise ValidationError(_("A shift cannot start and end at the same time."))
    if capacity is not None and not 0 <= capacity <= MAX_CAPACITY:
        raise ValidationError(_("A capacity is a number of open leads, 0 or more."))
    if away_until is not None and not 2000 <= away_until.year <= 2200:
        raise ValidationError(_("Choose a date in this century."))
    user.work_days = "".join(str(d) for d in chosen) or None
    user.work_start = start if chosen else None
    user.work_end = end if chosen else None
    user.away_until = away_until
    user.capacity = capacity
    db.session.flush()


def local_to_utc(value: datetime | None, tz: str) -> datetime | None:
    """A naive local time from a form, in *tz*, as an aware datetime."""
    if value is None or not 2000 <= value.year <= 2200:
        return value  # refused by set_availability (converting year 1 could overflow)
    return value.replace(tzinfo=ZoneInfo(tz))
