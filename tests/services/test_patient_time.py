"""The patient's local time with a frozen clock: the zone from the phone (several zones: the
city, else the country's most populous one), else the form's country; the time there, the
good-time-to-call hint at its edges, and "tomorrow 10:00 their time" across daylight-saving
changes (the US, Europe) and a zone without one (Tehran, UTC+3:30)."""

from datetime import UTC, datetime

import pytest

from app.errors import ValidationError
from app.extensions import db
from app.models import LeadTask
from app.services import lead_tasks, lead_work, lead_workflow, patient_time
from tests import factories

DESK = "Europe/Istanbul"
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("phone", "country", "city", "zone"),
    [
        ("+4915112345678", None, None, "Europe/Berlin"),
        ("+989121234567", None, None, "Asia/Tehran"),
        ("+14155550123", None, None, "America/Los_Angeles"),
        ("+79161234567", None, None, "Europe/Moscow"),  # 16 zones: the most populous
        ("+61412345678", None, "Perth", "Australia/Perth"),  # several: the city decides
        ("+61412345678", None, "Melbourne", "Australia/Sydney"),
        ("+4915112345678", "TR", None, "Europe/Berlin"),  # the phone wins over the form
        (None, "DE", None, "Europe/Berlin"),  # no phone: the form's country
        (None, "RU", None, "Europe/Moscow"),
        ("not a number", "IR", None, "Asia/Tehran"),
        (None, None, None, None),
        (None, "ZZ", None, None),
    ],
)
def test_the_zone_comes_from_the_phone_else_the_country(phone, country, city, zone):
    assert patient_time.zone_for(phone, country, city) == zone


def clock_of(phone, now, **kw):
    lead = factories.make_lead(phone=phone, **kw)
    return patient_time.clock(lead, now, DESK)


def test_the_time_there_and_the_hint_across_zones(app_ctx):
    berlin = clock_of("+4915112345678", NOON)
    assert (berlin.local.hour, berlin.offset, berlin.good_to_call, berlin.differs) == (
        13, "UTC+1", True, True,
    )  # fmt: skip
    tehran = clock_of("+989121234567", NOON)
    assert (tehran.local.strftime("%H:%M"), tehran.offset) == ("15:30", "UTC+3:30")
    la = clock_of("+14155550123", NOON)
    assert (la.local.hour, la.offset, la.good_to_call) == (4, "UTC−8", False)
    istanbul = clock_of("+905321234567", NOON)
    assert istanbul.zone == DESK and not istanbul.differs
    assert clock_of(None, NOON, country_code=None, phone_raw="x") is None


@pytest.mark.parametrize(
    ("now", "good"),
    [
        (datetime(2026, 12, 2, 7, 59, tzinfo=UTC), False),  # 08:59 in Berlin (CET)
        (datetime(2026, 12, 2, 8, 0, tzinfo=UTC), True),  # 09:00
        (datetime(2026, 12, 2, 18, 59, tzinfo=UTC), True),  # 19:59
        (datetime(2026, 12, 2, 19, 0, tzinfo=UTC), False),  # 20:00
        # The same UTC minute on either side of Europe's spring change (29 March 2026):
        (datetime(2026, 3, 28, 7, 30, tzinfo=UTC), False),  # 08:30 CET
        (datetime(2026, 3, 29, 7, 30, tzinfo=UTC), True),  # 09:30 CEST
    ],
)
def test_good_time_to_call_is_nine_to_eight_there_whatever_the_season(app_ctx, now, good):
    assert clock_of("+4915112345678", now).good_to_call is good


def test_berlin_and_istanbul_differ_in_summer_and_winter_but_minsk_never(app_ctx):
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert clock_of("+4915112345678", summer).offset == "UTC+2"
    assert clock_of("+4915112345678", summer).differs
    assert not clock_of("+375291234567", summer).differs  # Minsk: UTC+3 all year


@pytest.mark.parametrize(
    ("zone", "now", "due"),
    [
        # New York springs forward on Sunday 8 March 2026: 10:00 EDT is 14:00 UTC.
        ("America/New_York", datetime(2026, 3, 7, 15, 0, tzinfo=UTC), (2026, 3, 8, 14, 0)),
        ("America/New_York", datetime(2026, 3, 6, 15, 0, tzinfo=UTC), (2026, 3, 7, 15, 0)),
        # Berlin: spring (29 March) and autumn (25 October) 2026.
        ("Europe/Berlin", datetime(2026, 3, 28, 12, 0, tzinfo=UTC), (2026, 3, 29, 8, 0)),
        ("Europe/Berlin", datetime(2026, 10, 24, 12, 0, tzinfo=UTC), (2026, 10, 25, 9, 0)),
        # Tehran's date is already tomorrow at 21:00 UTC (00:30 there): "tomorrow" is theirs.
        ("Asia/Tehran", datetime(2026, 12, 2, 21, 0, tzinfo=UTC), (2026, 12, 4, 6, 30)),
        ("Asia/Tehran", datetime(2026, 12, 2, 20, 0, tzinfo=UTC), (2026, 12, 3, 6, 30)),
    ],
)
def test_tomorrow_ten_their_time_follows_their_calendar_and_clock_changes(app_ctx, zone, now, due):
    expected = datetime(*due, tzinfo=UTC)
    assert patient_time.their_tomorrow_morning(zone, now) == expected
    assert (
        lead_tasks.due_from_pick("their_tomorrow", None, now=now, tz=DESK, patient_zone=zone)
        == expected
    )


def test_the_pick_needs_a_known_zone_and_the_one_step_form_uses_the_lead_s(app_ctx):
    with pytest.raises(ValidationError):
        lead_tasks.due_from_pick("their_tomorrow", None, now=NOON, tz=DESK, patient_zone=None)
    admin = factories.make_user("boss", role=factories.Role.SUPERADMIN)
    lead = factories.make_lead(phone="+14155550123")
    lead_workflow.assign(lead, admin, actor=admin)
    step = lead_work.WorkStep(
        interaction_type="call", result="no_answer", follow_up="their_tomorrow"
    )
    done = lead_work.work_lead(lead, step, actor=admin, tz=DESK, now=NOON)
    db.session.commit()
    # 04:00 on 2 December in San Francisco: tomorrow there is 3 December, 10:00 PST.
    task = db.session.get(LeadTask, done.task.id)
    assert task.due_at.replace(tzinfo=UTC) == datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
