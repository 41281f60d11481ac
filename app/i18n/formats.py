"""Dates, times, numbers and names written the way the reader's language writes them.

Times are shown in `APP_TIMEZONE` (one zone for everyone), in the current Flask-Babel locale:
absolute `1 Ara 2026 14:05`, relative `12 dk. önce` (the absolute one on hover).
"""

import functools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime, format_skeleton, format_time, format_timedelta
from babel.numbers import format_decimal, format_percent
from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup

from app.i18n.kept import current_locale

RELATIVE_FOR = timedelta(days=7)  # older than this: the date itself says more than "3 wk ago"
JUST_NOW = timedelta(minutes=1)
TURKISH_LETTERS = frozenset("ğĞşŞıİçÇöÖüÜ")


def locale() -> Locale:
    return current_locale() or Locale.parse(current_app.config["DEFAULT_LOCALE"])


def in_app_zone(value: datetime) -> datetime:
    if value.tzinfo is None:  # stored times are UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(current_app.config["APP_TIMEZONE"]))


def local_today() -> date:
    return in_app_zone(datetime.now(UTC)).date()


@functools.cache
def when_pattern(locale_id: str) -> str:
    """The language's medium date with its short time, as one Babel pattern (built once)."""
    loc = Locale.parse(locale_id)
    day, clock = loc.datetime_skeletons["yMMMd"].pattern, loc.time_formats["short"].pattern
    return str(loc.datetime_formats["medium"]).replace("{1}", day).replace("{0}", clock)


def format_when(value: datetime | None) -> str:
    """Date and time, e.g. `1 Ara 2026 14:05` (tr), `1 Dec 2026, 14:05` (en)."""
    if value is None:
        return "—"
    loc = locale()
    return format_datetime(in_app_zone(value), when_pattern(str(loc)), locale=loc)


def format_day(value: date | datetime | None) -> str:
    """A calendar day, e.g. `1 Ara 2026`."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = in_app_zone(value)
    return format_skeleton("yMMMd", value, locale=locale())


def format_clock(value: datetime | None) -> str:
    """The time of day, e.g. `14:05`."""
    if value is None:
        return "—"
    return format_time(in_app_zone(value), "short", locale=locale())


def format_zone_clock(value: datetime | None) -> str:
    """The time of day in *value*'s own zone (the patient's local time), e.g. `14:05`."""
    if value is None:
        return "—"
    return format_time(value, "short", tzinfo=value.tzinfo, locale=locale())


def format_ago(value: datetime, now: datetime | None = None) -> str:
    """How long ago, e.g. `12 dk. önce`; `az önce` within a minute (or a little ahead)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    elapsed = (now or datetime.now(UTC)) - value
    if elapsed < JUST_NOW:
        return _("just now")
    return format_timedelta(-elapsed, add_direction=True, format="short", locale=locale())


def when_html(value: datetime | None, now: datetime | None = None) -> Markup:
    """A `<time>` element: relative within a week (static/js/times.js keeps it current),
    else the date; the absolute date and time on hover either way."""
    if value is None:
        return Markup("—")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    absolute, iso = format_when(value), value.astimezone(UTC).isoformat()
    if now - value > RELATIVE_FOR:
        return Markup('<time datetime="{}" title="{}">{}</time>').format(iso, absolute, absolute)
    return Markup('<time datetime="{}" title="{}" data-relative>{}</time>').format(
        iso, absolute, format_ago(value, now)
    )


def format_count(value: int | float | None) -> str:
    """A number with the language's grouping: 12.345 (tr), 12,345 (en)."""
    if value is None:
        return "—"
    return decimal_text(value, locale())


# Babel takes ~50 µs a number; an analytics page shows thousands, mostly the same few.
@functools.lru_cache(maxsize=8192)
def decimal_text(value: int | float, loc: Locale) -> str:
    return format_decimal(value, locale=loc)


def format_duration(seconds: float | None) -> str:
    """A response time in words, in the largest unit it holds twice: `90 dk.`, `2 sa.`."""
    if seconds is None:
        return "—"
    delta = timedelta(seconds=seconds)
    return format_timedelta(delta, threshold=2, format="short", locale=locale())


def weekday_names() -> list[str]:
    """Monday … Sunday, abbreviated, in the page's language."""
    names = locale().days["format"]["abbreviated"]
    return [names[day] for day in range(7)]


def format_ratio(value: float | None) -> str:
    """A share as a percentage with one decimal: %12,3 (tr), 12.3% (en)."""
    if value is None:
        return "—"
    return percent_text(value, locale())


@functools.lru_cache(maxsize=8192)
def percent_text(value: float, loc: Locale) -> str:
    pattern = loc.percent_formats[None].pattern.replace("#,##0", "#,##0.0", 1)
    return format_percent(value, pattern, locale=loc)


def display_name(name: str | None, phone: str | None = None) -> str:
    """A person's name as typed, except that an ALL-CAPITAL name is shown in title case, by
    Turkish rules (AYŞE YILDIZ → Ayşe Yıldız, İLKER → İlker) when the name has Turkish letters
    or the phone is Turkish (+90). Display only: the stored name is never changed."""
    if not name or name != name.upper() or name == name.lower():
        return name or ""
    if sum(ch.isalpha() for ch in name) < 2:
        return name
    turkish = bool(TURKISH_LETTERS & set(name)) or (phone or "").startswith("+90")
    return " ".join(
        "-".join(title_word(part, turkish) for part in word.split("-")) for word in name.split(" ")
    )


def title_word(word: str, turkish: bool) -> str:
    if not word:
        return word
    rest = word[1:]
    if turkish:  # the dotless ı and dotted İ are letters of their own in Turkish
        rest = rest.replace("I", "ı").replace("İ", "i")
    return word[0] + rest.lower()


def format_until(value: datetime, now: datetime | None = None) -> str:
    """How far *value* is from now, with its direction: "in 4 min", "12 min ago"."""
    now = now or datetime.now(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_timedelta(
        value - now, add_direction=True, format="short", threshold=0.85, locale=locale()
    )
