"""Analytics figures, each checked against exact numbers and an independent SQL over a seeded
fixture: Istanbul day edges, a skipped stage, a reopened lead, reassignment, deleted, test and
re-inquiry leads, empty periods. Each test runs three ways: counted from the leads (no rollup
stored yet), from the stored daily rollup, and from the rollup with every day marked changed
(counted from the leads as the page reads)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, LeadStatus, LeadTask, Role, User
from app.models.base import UTCDateTime
from app.services import analytics, analytics_rollup, lead_workflow
from app.services.analytics_period import Period, period_from_args, preset_period
from tests import factories

TZ = "Europe/Istanbul"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PERIOD = Period("custom", date(2026, 11, 1), date(2026, 11, 15))
S = LeadStatus


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def lead(received: str, **values):
    """A lead received (meta_created_at) at *received* UTC, stored a minute later."""
    stored = at(received) + timedelta(minutes=1)
    return factories.make_lead(meta_created_at=at(received), created_at=stored, **values)


@pytest.fixture(params=["raw", "stored", "changed"])
def source(request) -> str:
    return request.param


def use_rollup(source: str) -> None:
    """raw: no rollup (the leads answer); stored: every day stored; changed: every day
    marked changed since (counted from the leads by the rollup's own code)."""
    if source == "raw":
        return
    analytics_rollup.restart(TZ)
    while source == "stored" and analytics_rollup.flush_batch(TZ):
        pass
    db.session.commit()


@pytest.fixture
def seeded(app_ctx, source):
    """Twelve leads around 1–15 November 2026 (Istanbul = UTC+3); see each line."""
    admin = factories.make_user("boss", role=Role.SUPERADMIN)
    ayse, mehmet = factories.make_user("ayse"), factories.make_user("mehmet")
    # 23:30 on 10 November in Istanbul: that Istanbul day; contacted after 4 minutes.
    a = lead(
        "2026-11-10 20:30",
        status=S.CONTACTED,
        assigned_to_id=ayse.id,
        first_contacted_at=at("2026-11-10 20:35"),
        campaign_id="111",
        campaign_name="Hair TR",
        adset_id="211",
        ad_id="311",
        ad_name="Ad one",
        platform="ig",
        service="hair_transplant",
        country_code="DE",
        score=80,
    )
    # 00:30 on 16 November in Istanbul: after the period, though still the 15th in UTC.
    lead("2026-11-15 21:30", status=S.NEW)
    # 00:30 on 1 November in Istanbul: inside, though still 31 October in UTC.
    lead("2026-10-31 21:30", status=S.NEW, campaign_id="111", ad_id="312", platform="fb")
    # Qualified without a logged contact (a skipped stage): counts as contacted too.
    lead(
        "2026-11-03 09:00",
        status=S.QUALIFIED,
        assigned_to_id=mehmet.id,
        qualified_at=at("2026-11-04 09:00"),
        campaign_id="111",
        ad_id="312",
        is_organic=True,
        score=60,
    )
    # Converted; first contact two hours after it was stored.
    lead(
        "2026-11-05 10:00",
        status=S.CONVERTED,
        assigned_to_id=mehmet.id,
        first_contacted_at=at("2026-11-05 12:01"),
        qualified_at=at("2026-11-06 10:00"),
        converted_at=at("2026-11-12 10:00"),
        campaign_id="222",
        campaign_name="Teeth UK",
        service="dental",
        score=90,
    )
    # Reopened after being lost: contacted once, not lost now.
    lead(
        "2026-11-06 10:00",
        status=S.NEW,
        first_contacted_at=at("2026-11-07 10:01"),
        score=20,
    )
    lead("2026-11-07 10:00", status=S.LOST, assigned_to_id=ayse.id, lost_at=at("2026-11-08"))
    lead("2026-11-08 10:00", status=S.INVALID)
    lead("2026-11-09 10:00", status=S.CONVERTED, deleted_at=NOW, converted_at=at("2026-11-09"))
    lead("2026-11-09 11:00", status=S.NEW, is_test=True)
    lead("2026-11-09 12:00", status=S.NEW, duplicate_of_id=a.id)
    # The previous period (17–31 October): one lead, contacted after 30 minutes.
    lead("2026-10-20 10:00", status=S.CONTACTED, first_contacted_at=at("2026-10-20 10:31"))
    db.session.commit()
    use_rollup(source)
    return {"admin": admin, "ayse": ayse.id, "mehmet": mehmet.id}


def build(admin: User, **args) -> analytics.Analytics:
    filters, period = analytics.selection(
        {"date_from": "2026-11-01", "date_to": "2026-11-15"} | args, TZ, NOW
    )
    return analytics.build_analytics(admin, filters, period, TZ, NOW)


def sql_rows(query: str, **params):
    """An independent SQL over the raw table, with UTC bounds of Istanbul days."""
    statement = sa.text(query).bindparams(
        *(sa.bindparam(name, type_=UTCDateTime()) for name in params)
    )
    return db.session.execute(statement, params).all()


def istanbul_bounds(first: date, last: date) -> dict[str, datetime]:
    zone = ZoneInfo(TZ)
    start = datetime(first.year, first.month, first.day, tzinfo=zone)
    end = datetime(last.year, last.month, last.day, tzinfo=zone) + timedelta(days=1)
    return {"start": start.astimezone(UTC), "end": end.astimezone(UTC)}


def as_utc(value) -> datetime:
    """A timestamp as a raw SQL read returns it (SQLite: text) → aware UTC."""
    value = datetime.fromisoformat(value) if isinstance(value, str) else value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


SHOWN = "deleted_at IS NULL AND is_test = false AND duplicate_of_id IS NULL"


def test_funnel_counts_reached_at_least_each_stage(seeded):
    result = build(seeded["admin"])
    funnel = result.funnel
    assert (funnel.received, funnel.contacted, funnel.qualified, funnel.converted) == (7, 4, 2, 1)
    assert (funnel.lost, funnel.invalid) == (1, 1)
    assert funnel.rates() == [None, 4 / 7, 0.5, 0.5]
    [expected] = sql_rows(
        f"""SELECT count(*),
            sum(CASE WHEN first_contacted_at IS NOT NULL OR qualified_at IS NOT NULL
                OR converted_at IS NOT NULL THEN 1 ELSE 0 END),
            sum(CASE WHEN qualified_at IS NOT NULL OR converted_at IS NOT NULL THEN 1 ELSE 0 END),
            sum(CASE WHEN converted_at IS NOT NULL THEN 1 ELSE 0 END),
            sum(CASE WHEN status = 'lost' THEN 1 ELSE 0 END),
            sum(CASE WHEN status = 'invalid' THEN 1 ELSE 0 END)
            FROM facebook_leads WHERE {SHOWN}
            AND meta_created_at >= :start AND meta_created_at < :end""",
        **istanbul_bounds(PERIOD.start, PERIOD.end),
    )
    assert tuple(expected) == (7, 4, 2, 1, 1, 1)
    previous = result.previous_funnel
    assert (previous.received, previous.contacted, previous.converted) == (1, 1, 0)
    assert result.period.previous == Period("previous", date(2026, 10, 17), date(2026, 10, 31))


def test_test_leads_and_re_inquiries_count_only_when_asked(seeded):
    assert build(seeded["admin"], test="1").funnel.received == 8
    assert build(seeded["admin"], duplicates="1").funnel.received == 8
    assert build(seeded["admin"], test="1", duplicates="1", deleted="1").funnel.received == 9


def test_filters_narrow_the_cohort_with_the_dashboard_names(seeded):
    admin = seeded["admin"]
    assert build(admin, campaign="111").funnel.received == 3
    assert build(admin, platform="ig").funnel.received == 1
    assert build(admin, assignee=str(seeded["mehmet"])).funnel.converted == 1
    assert build(admin, service="dental").funnel.received == 1
    assert build(admin, country="de").funnel.received == 1
    assert build(admin, status="new").funnel.received == 2


def test_speed_to_lead_is_wall_clock_from_storing_to_first_contact(seeded):
    times = build(seeded["admin"]).speed.overall
    # Stored a minute after receipt: 4 → 240 s, 121 min → 7,200 s, 1 day → 86,400 s.
    assert (times.received, times.contacted) == (7, 3)
    assert (times.median_s, times.p90_s) == (7200, 7200 + (86400 - 7200) * 0.8)
    assert times.within == {300: 1, 3600: 1, 86400: 3}
    assert times.share_within(300) == 1 / 7
    rows = sql_rows(
        f"""SELECT first_contacted_at, created_at FROM facebook_leads WHERE {SHOWN}
            AND first_contacted_at IS NOT NULL
            AND meta_created_at >= :start AND meta_created_at < :end""",
        **istanbul_bounds(PERIOD.start, PERIOD.end),
    )
    seconds = sorted((as_utc(f) - as_utc(c)).total_seconds() for f, c in rows)
    assert seconds == [240, 7200, 86400]
    assert build(seeded["admin"]).previous_response.median_s == 1800


def test_response_median_and_p90_agree_with_postgresql_percentile_cont(seeded):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("percentile_cont is PostgreSQL's")
    [(median, p90)] = sql_rows(
        f"""SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM
                first_contacted_at - created_at)),
            percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM
                first_contacted_at - created_at))
            FROM facebook_leads WHERE {SHOWN} AND first_contacted_at IS NOT NULL
            AND meta_created_at >= :start AND meta_created_at < :end""",
        **istanbul_bounds(PERIOD.start, PERIOD.end),
    )
    times = build(seeded["admin"]).speed.overall
    assert (times.median_s, times.p90_s) == (float(median), pytest.approx(float(p90)))


def test_heat_map_uses_the_local_weekday_and_hour_it_was_stored(seeded):
    speed = build(seeded["admin"]).speed
    cells = {(c.weekday, c.hour): (c.received, c.contacted, c.within_hour) for c in speed.heatmap}
    # Stored 20:31 UTC on Tuesday 10 November = 23:31 in Istanbul; contacted in 4 minutes.
    assert cells[(1, 23)] == (1, 1, 1)
    assert cells[(3, 13)] == (1, 1, 0)  # Thursday 5 November 10:01 UTC, two hours
    assert cells[(6, 0)] == (1, 0, 0)  # Sunday 1 November 00:31 in Istanbul
    assert sum(received for received, _c, _w in cells.values()) == 7
    assert speed.grid()[1][23].band == 0 and speed.grid()[3][13].band == 3


def test_heat_map_and_days_fold_quarter_hours_where_the_offset_changes(seeded):
    """Berlin changes its offset on 25 October 2026: the quarter-hour path answers."""
    filters, period = analytics.selection(
        {"date_from": "2026-10-20", "date_to": "2026-11-15"}, "Europe/Berlin", NOW
    )
    result = analytics.build_analytics(seeded["admin"], filters, period, "Europe/Berlin", NOW)
    cells = {(c.weekday, c.hour): c.received for c in result.speed.heatmap}
    assert cells[(1, 21)] == 1  # 20:31 UTC on 10 November = 21:31 in Berlin (UTC+1)
    trend = {p.day: p.leads for p in result.trend}
    assert trend[date(2026, 10, 31)] == 1  # 21:30 UTC = 22:30 in Berlin: still the 31st
    assert trend[date(2026, 10, 20)] == 1


def test_staff_table_counts_for_the_current_assignee(seeded):
    admin = seeded["admin"]
    mehmet = db.session.get(User, seeded["mehmet"])
    lost = db.session.scalar(sa.select(FacebookLead).where(FacebookLead.status == S.LOST))
    lead_workflow.assign(lost, mehmet, actor=admin)  # reassigned from ayse
    due = {"lead_id": lost.id, "user_id": mehmet.id}
    db.session.add_all(
        [
            LeadTask(**due, due_at=NOW - timedelta(hours=1)),  # overdue
            LeadTask(**due, due_at=NOW + timedelta(hours=1)),  # not yet due
            LeadTask(**due, due_at=NOW - timedelta(days=1), done_at=NOW),  # done
        ]
    )
    db.session.commit()
    rows = {row.name: row for row in build(admin).by_staff}
    assert (rows["ayse"].assigned, rows["ayse"].contacted, rows["ayse"].open_now) == (1, 1, 1)
    m = rows["mehmet"]
    assert (m.assigned, m.contacted, m.converted, m.conversion) == (3, 2, 1, 1 / 3)
    assert m.response.median_s == 7200 and (m.open_now, m.overdue) == (1, 1)
    assert rows["ayse"].overdue == 0
    unassigned = rows[None]
    assert (unassigned.user_id, unassigned.assigned) == (None, 3)


def test_attribution_rolls_ads_up_into_ad_sets_and_campaigns(seeded):
    tables = build(seeded["admin"]).sources
    campaigns = {row.key: row for row in tables["campaign"]}
    hair = campaigns["111"]
    assert (hair.label, hair.leads, hair.contacted, hair.converted) == ("Hair TR", 3, 2, 0)
    assert hair.average_score == (80 + 50 + 60) / 3
    assert [(s.key, ad.key, ad.leads) for s in hair.children for ad in s.children] == [
        (None, "312", 2),
        ("211", "311", 1),
    ]
    assert campaigns["222"].conversion_rate == 1.0
    assert campaigns[None].leads == 3
    assert {r.key: r.leads for r in tables["organic"]} == {"paid": 6, "organic": 1}
    assert {r.key: r.leads for r in tables["platform"]} == {None: 5, "ig": 1, "fb": 1}
    [(expected,)] = sql_rows(
        f"""SELECT count(*) FROM facebook_leads WHERE {SHOWN} AND campaign_id = '111'
            AND meta_created_at >= :start AND meta_created_at < :end""",
        **istanbul_bounds(PERIOD.start, PERIOD.end),
    )
    assert expected == hair.leads


def test_trend_counts_local_days_with_a_seven_day_average(seeded):
    trend = {point.day: point for point in build(seeded["admin"]).trend}
    assert len(trend) == 15
    assert trend[date(2026, 11, 1)].leads == 1  # 00:30 Istanbul, 31 October UTC
    assert trend[date(2026, 11, 10)].leads == 1
    assert trend[date(2026, 11, 15)].leads == 0  # 00:30 on the 16th in Istanbul
    assert trend[date(2026, 11, 9)].average_7d == pytest.approx(5 / 7)  # 3rd … 9th: 5 leads
    assert trend[date(2026, 11, 4)].previous == 1  # 20 October is day 4 of 17–31 October
    assert sum(p.leads for p in trend.values()) == 7


def test_conversions_per_week_count_conversions_in_the_period(seeded):
    weeks = build(seeded["admin"]).conversions_by_week
    assert [(w.week, w.conversions) for w in weeks] == [
        (date(2026, 10, 26), 0),
        (date(2026, 11, 2), 0),
        (date(2026, 11, 9), 1),
    ]


def test_open_leads_not_contacted_by_age(seeded):
    ages = {bucket.key: bucket.leads for bucket in build(seeded["admin"]).open_by_age}
    # New and never contacted, not deleted/test/re-inquiry: stored 31 Oct and 15 Nov.
    assert ages == {"under_1h": 0, "1h_24h": 0, "1d_3d": 0, "3d_7d": 1, "over_7d": 1}


def test_an_empty_period_has_zeros_not_errors(seeded):
    result = build(seeded["admin"], date_from="2025-01-01", date_to="2025-01-31")
    assert result.funnel.received == 0 and result.funnel.rates() == [None, None, None, None]
    assert result.speed.overall.median_s is None and result.speed.overall.share_within(300) is None
    assert all(point.leads == 0 for point in result.trend)
    assert all(row.assigned == 0 for row in result.by_staff)  # open load is now, not the period's


def test_work_through_the_workflow_shows_in_the_funnel(app_ctx):
    admin = factories.make_user("boss", role=Role.SUPERADMIN)
    staff = factories.make_user("ayse")
    fresh = factories.make_lead()
    lead_workflow.assign(fresh, staff, actor=admin)
    lead_workflow.add_interaction(fresh, actor=staff, interaction_type="call", result="reached")
    lead_workflow.change_status(fresh, "lost", actor=staff)
    db.session.commit()
    filters, period = analytics.selection({"period": "today"}, TZ)
    result = analytics.build_analytics(admin, filters, period, TZ)
    assert (result.funnel.received, result.funnel.contacted, result.funnel.lost) == (1, 1, 1)
    assert result.speed.overall.contacted == 1 and result.speed.overall.within[300] == 1


def test_periods_follow_the_local_calendar():
    today = date(2026, 2, 14)
    assert preset_period("today", today) == Period("today", today, today)
    assert preset_period("7d", today).start == date(2026, 2, 8)
    assert preset_period("last-month", today) == Period(
        "last-month", date(2026, 1, 1), date(2026, 1, 31)
    )
    assert preset_period("this-quarter", today).start == date(2026, 1, 1)
    late = datetime(2026, 2, 14, 22, 30, tzinfo=UTC)  # already the 15th in Istanbul
    assert period_from_args({"period": "today"}, TZ, late).start == date(2026, 2, 15)
    custom = period_from_args({"date_from": "2026-02-10", "date_to": "2026-02-01"}, TZ, late)
    assert (custom.key, custom.start, custom.end, custom.days) == (
        "custom",
        date(2026, 2, 1),
        date(2026, 2, 10),
        10,
    )
    assert period_from_args({"period": "bogus"}, TZ, late).key == "30d"
    assert period_from_args({"date_from": "1900-01-01", "date_to": "2999-12-31"}, TZ).days == 732
