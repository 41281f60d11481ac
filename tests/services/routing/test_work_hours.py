"""Working hours in APP_TIMEZONE, with a frozen clock: shifts, nights, weekends."""

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import ValidationError
from app.services import work_hours
from app.services.work_hours import Schedule

TZ = "Europe/Istanbul"  # UTC+3 all year
OFFICE = work_hours.parse("12345 09:00-18:00", TZ)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026: the 4th is a Friday, the 7th a Monday (Istanbul time → UTC)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC) - timedelta(hours=3)


def test_parse_reads_days_and_a_shift():
    assert Schedule(frozenset({1, 2, 3, 4, 5}), time(9), time(18), TZ) == OFFICE
    assert work_hours.parse("67", TZ).end is None
    assert work_hours.parse("1234567 00:00-24:00", TZ).end == time(0)


@pytest.mark.parametrize("text", ["", "89 09:00-18:00", "12345 9-18h", "abc"])
def test_parse_refuses_nonsense(text):
    with pytest.raises(ValidationError):
        work_hours.parse(text, TZ)


def test_on_shift_follows_local_time_and_weekdays():
    assert work_hours.on_shift(OFFICE, local(4, 9))
    assert work_hours.on_shift(OFFICE, local(4, 17, 59))
    assert not work_hours.on_shift(OFFICE, local(4, 18))
    assert not work_hours.on_shift(OFFICE, local(4, 8, 59))
    assert not work_hours.on_shift(OFFICE, local(5, 12))  # Saturday


def test_a_night_shift_runs_past_midnight():
    night = work_hours.parse("12345 22:00-06:00", TZ)
    assert work_hours.on_shift(night, local(4, 23))
    assert work_hours.on_shift(night, local(5, 5))  # Friday's shift, Saturday morning
    assert not work_hours.on_shift(night, local(5, 23))  # no Saturday shift
    assert not work_hours.on_shift(night, local(7, 3))  # Monday 03:00: Sunday had none


def test_minutes_before_the_shift_end_carry_to_the_next_working_day():
    # Friday 17:58 + 5 working minutes = Monday 09:03.
    assert work_hours.add_working_minutes(OFFICE, local(4, 17, 58), 5) == local(7, 9, 3)


def test_a_lead_stored_at_night_waits_for_the_shift():
    assert work_hours.add_working_minutes(OFFICE, local(3, 23), 30) == local(4, 9, 30)
    assert work_hours.add_working_minutes(OFFICE, local(5, 12), 240) == local(7, 13)


def test_working_minutes_between_skip_nights_and_weekends():
    assert work_hours.working_minutes_between(OFFICE, local(4, 17), local(7, 10)) == 120
    assert work_hours.working_minutes_between(OFFICE, local(5, 10), local(6, 10)) == 0
    assert work_hours.working_minutes_between(OFFICE, local(7, 10), local(7, 9)) == 0


def test_whole_days_count_every_minute():
    always = work_hours.parse("1234567", TZ)
    start = local(5, 12)
    assert work_hours.add_working_minutes(always, start, 90) == start + timedelta(minutes=90)


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    minutes=st.integers(min_value=0, max_value=5000),
    days=st.sets(st.integers(1, 7), min_size=1),
    begin=st.integers(0, 23),
    length=st.integers(1, 23),
)
def test_adding_then_counting_working_minutes_gives_them_back(start, minutes, days, begin, length):
    schedule = Schedule(frozenset(days), time(begin), time((begin + length) % 24), TZ)
    due = work_hours.add_working_minutes(schedule, start, minutes)
    assert due >= start
    assert work_hours.working_minutes_between(schedule, start, due) == pytest.approx(minutes)
    if minutes:
        assert work_hours.on_shift(schedule, due - timedelta(seconds=1))
