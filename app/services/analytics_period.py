"""The period an analytics view covers: a preset (today, 7 or 30 days, this or last month,
this quarter) or a custom range of local days in APP_TIMEZONE, and the previous period of the
same length it is compared with."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.services.lead_filters import as_date

PRESETS = ("today", "7d", "30d", "this-month", "last-month", "this-quarter")
DEFAULT_PRESET = "30d"
MAX_DAYS = 732  # a custom range longer than two years keeps its last two years


@dataclass(frozen=True)
class Period:
    """Local days *start* … *end* (both included); *key* is the preset or "custom"."""

    key: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> "Period":
        """The period of the same length just before this one."""
        return Period("previous", self.start - timedelta(days=self.days), self.start - timedelta(1))

    def day_list(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """[first instant, first instant after) in UTC."""
        return local_midnight(self.start, tz), local_midnight(self.end + timedelta(days=1), tz)

    def to_args(self) -> dict[str, str]:
        if self.key == "custom":
            return {"date_from": self.start.isoformat(), "date_to": self.end.isoformat()}
        return {"period": self.key}


def local_midnight(day: date, tz: str) -> datetime:
    return datetime.combine(day, time.min, ZoneInfo(tz)).astimezone(UTC)


def preset_period(key: str, today: date) -> Period:
    """The preset *key* as it stands on the local day *today*."""
    if key == "today":
        return Period(key, today, today)
    if key in ("7d", "30d"):
        return Period(key, today - timedelta(days=int(key[:-1]) - 1), today)
    if key == "this-month":
        return Period(key, today.replace(day=1), today)
    if key == "last-month":
        end = today.replace(day=1) - timedelta(days=1)
        return Period(key, end.replace(day=1), end)
    if key == "this-quarter":
        return Period(key, date(today.year, (today.month - 1) // 3 * 3 + 1, 1), today)
    raise ValueError(key)


def period_from_args(args: Mapping[str, Any], tz: str, now: datetime | None = None) -> Period:
    """The period the query asks for: `period=<preset>`, or `date_from`/`date_to` (a custom
    range; one end missing → 30 days from or to the other); else the last 30 days. Lenient:
    an unknown preset is the default, reversed dates are swapped."""
    today = (now or datetime.now(UTC)).astimezone(ZoneInfo(tz)).date()
    key = str(args.get("period") or "").replace("_", "-")
    start, end = as_date(args.get("date_from")), as_date(args.get("date_to"))
    if key in PRESETS or not (start or end):
        return preset_period(key if key in PRESETS else DEFAULT_PRESET, today)
    start = start or end - timedelta(days=29)
    end = end or start + timedelta(days=29)
    if end < start:
        start, end = end, start
    return Period("custom", max(start, end - timedelta(days=MAX_DAYS - 1)), end)
