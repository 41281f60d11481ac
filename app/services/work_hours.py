"""Working hours in APP_TIMEZONE: whether someone is on shift, and time counted in working
minutes across shift ends, nights and weekends (response targets use it).

A schedule is a set of ISO weekdays and a daily shift; a shift that ends before it starts
runs past midnight into the next day (it belongs to the day it starts on)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from app.errors import ValidationError

DAY = timedelta(days=1)
# How far ahead shifts are looked for (a schedule has at least one working day a week).
MAX_DAYS_AHEAD = 3660


@dataclass(frozen=True)
class Schedule:
    days: frozenset[int]  # ISO weekdays, Monday = 1
    start: time = time(0)
    end: time | None = None  # None: to the end of the day
    tz: str = "Europe/Istanbul"

    def shifts(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The shifts (UTC start, end) that end after *since*, in order."""
        zone = ZoneInfo(self.tz)
        local_day = since.astimezone(zone).date() - DAY  # yesterday's night shift may run on
        for offset in range(MAX_DAYS_AHEAD + 2):
            day = local_day + timedelta(days=offset)
            if day.isoweekday() not in self.days:
                continue
            begin, finish = self.bounds(day, zone)
            if finish > since:
                yield begin, finish

    def bounds(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        begin = datetime.combine(day, self.start, zone)
        if self.end is None or self.end == time(0):
            finish = datetime.combine(day + DAY, time(0), zone)
        elif self.end <= self.start:
            finish = datetime.combine(day + DAY, self.end, zone)
        else:
            finish = datetime.combine(day, self.end, zone)
        return begin.astimezone(UTC), finish.astimezone(UTC)


def parse(text: str, tz: str) -> Schedule:
    """'12345 09:00-18:00' (or '1234567' for whole days); raises ValidationError."""
    days_text, _, hours = (text or "").strip().partition(" ")
    days = parse_days(days_text)
    if not hours.strip():
        return Schedule(days, tz=tz)
    start_text, _, end_text = hours.strip().partition("-")
    return Schedule(days, parse_time(start_text), parse_time(end_text), tz)


def parse_days(text: str) -> frozenset[int]:
    days = frozenset(int(c) for c in text if c.isdigit() and 1 <= int(c) <= 7)
    if not days or any(not c.isdigit() or not 1 <= int(c) <= 7 for c in text):
        raise ValidationError(_("Working days are weekday digits, Monday = 1 (e.g. 12345)."))
    return days


def parse_time(text: str) -> time:
    text = text.strip()
    if text == "24:00":
        return time(0)
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise ValidationError(_("Times are HH:MM (e.g. 09:00-18:00).")) from None


def schedule_of(user, team: Schedule) -> Schedule:
    """*user*'s own hours, or the team's when they set none."""
    if not user.work_days:
        return team
    return Schedule(parse_days(user.work_days), user.work_start or time(0), user.work_end, team.tz)


def on_shift(schedule: Schedule, moment: datetime) -> bool:
    """Whether *moment* falls inside one of *schedule*'s shifts."""
    return any(begin <= moment < finish for begin, finish in first_shifts(schedule, moment))


def first_shifts(schedule: Schedule, moment: datetime) -> list[tuple[datetime, datetime]]:
    found = []
    for shift in schedule.shifts(moment):
        found.append(shift)
        if shift[0] > moment or len(found) == 2:
            break
    return found


def add_working_minutes(schedule: Schedule, start: datetime, minutes: float) -> datetime:
    """The moment *minutes* of working time after *start* (a start off shift waits for the
    next shift). A schedule without working time falls back to the wall clock."""
    left = timedelta(minutes=minutes)
    for begin, finish in schedule.shifts(start):
        begin = max(begin, start)
        if finish - begin >= left:
            return begin + left
        left -= finish - begin
    return start + timedelta(minutes=minutes)


def working_minutes_between(schedule: Schedule, start: datetime, end: datetime) -> float:
    """Working minutes from *start* to *end* (0 when end ≤ start)."""
    total = timedelta(0)
    if end <= start:
        return 0.0
    for begin, finish in schedule.shifts(start):
        if begin >= end:
            break
        total += min(finish, end) - max(begin, start)
    return total.total_seconds() / 60


def team_schedule() -> Schedule:
    """The team's hours (TEAM_WORK_HOURS in APP_TIMEZONE)."""
    config = current_app.config
    return parse(config["TEAM_WORK_HOURS"], config["APP_TIMEZONE"])


def user_schedule(user) -> Schedule:
    return schedule_of(user, team_schedule())
