"""The daily analytics rollup: the database marks the days whose leads change, whatever path
changed them; stored and changed days read together give exactly what the leads give; a
change of time zone or too many changed days hand the page back to the raw queries."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AnalyticsDaily, AnalyticsDirtyDay, FacebookLead, LeadStatus, Role, User
from app.services import (
    analytics_rolled,
    analytics_rollup,
    analytics_stored,
    lead_counters,
    lead_workflow,
)
from app.services.analytics_period import Period
from app.services.analytics_raw import RawCounts
from app.services.lead_filters import LeadFilters
from tests import factories

TZ = "Europe/Istanbul"
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
S = LeadStatus
PERIODS = (
    Period("custom", date(2026, 11, 1), date(2026, 11, 15)),
    Period("custom", date(2026, 10, 17), date(2026, 10, 31)),
    Period("custom", date(2025, 11, 21), date(2026, 11, 20)),
    Period("custom", date(2026, 11, 11), date(2026, 11, 11)),
)
METHODS = ("funnel", "speed", "response", "sources", "daily_received", "daily_conversions")


def dirty_days() -> set[date]:
    return set(db.session.scalars(sa.select(AnalyticsDirtyDay.day)))


def clear_marks() -> None:
    db.session.execute(sa.delete(AnalyticsDirtyDay))
    db.session.commit()


def store_everything() -> None:
    analytics_rollup.restart(TZ)
    while analytics_rollup.flush_batch(TZ):
        pass
    db.session.commit()


def stored_at(hours_ago: float, **values) -> FacebookLead:
    received = NOW - timedelta(hours=hours_ago)
    values.setdefault("created_at", received + timedelta(minutes=2))
    return factories.make_lead(meta_created_at=received, **values)


@pytest.fixture
def desk(app_ctx):
    """Forty leads over the last 400 days: three staff, campaigns, statuses, contact delays
    from seconds to days, some unassigned, deleted, test and re-inquiry leads."""
    admin = factories.make_user("boss", role=Role.SUPERADMIN)
    staff = [factories.make_user(name).id for name in ("ayse", "mehmet", "elif")]
    first = None
    for n in range(40):
        hours = n * 241.3 % (400 * 24)
        contacted = NOW - timedelta(hours=hours) + timedelta(seconds=120 + n**3 * 7)
        lead = stored_at(
            hours,
            assigned_to_id=staff[n % 3] if n % 5 else None,
            status=(S.NEW, S.CONTACTED, S.QUALIFIED, S.CONVERTED, S.LOST, S.INVALID)[n % 6],
            first_contacted_at=contacted if n % 4 and contacted < NOW else None,
            qualified_at=NOW - timedelta(hours=hours / 2) if n % 6 in (2, 3) else None,
            converted_at=NOW - timedelta(hours=hours / 3) if n % 6 == 3 else None,
            campaign_id=str(600 + n % 3),
            campaign_name=f"Campaign {n % 3}",
            adset_id=str(610 + n % 4),
            ad_id=str(620 + n % 5),
            ad_name=f"Ad {n % 5}",
            platform=("fb", "ig", None)[n % 3],
            is_organic=n % 7 == 0,
            service=("hair_transplant", "dental", None)[n % 3],
            country_code=("DE", "TR", None, "GB")[n % 4],
            score=n * 7 % 101,
            meta_form_id=str(700 + n % 2),
            is_test=n == 13,
            deleted_at=NOW if n == 17 else None,
            duplicate_of_id=first.id if first is not None and n == 19 else None,
        )
        first = first or lead
    db.session.commit()
    return db.session.get(User, admin.id)


def assert_same_figures(admin: User) -> None:
    rolled = analytics_rolled.for_selection(admin, LeadFilters(), TZ)
    assert rolled is not None, "the rollup should answer the default selection"
    raw = RawCounts(admin, LeadFilters(), TZ)
    for period in PERIODS:
        for method in METHODS:
            assert getattr(rolled, method)(period) == getattr(raw, method)(period), method
        assert sorted(rolled.staff_cohort(period), key=str) == sorted(
            raw.staff_cohort(period), key=str
        )
    assert rolled.open_now() == raw.open_now()
    assert rolled.open_by_age(NOW) == raw.open_by_age(NOW)


def test_stored_rollup_gives_what_the_leads_give(desk):
    store_everything()
    assert not dirty_days()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AnalyticsDaily)) > 40
    assert_same_figures(desk)


def test_changed_days_are_counted_from_the_leads_until_stored(desk):
    store_everything()
    lead = db.session.scalar(
        sa.select(FacebookLead).where(FacebookLead.status == S.NEW).order_by(FacebookLead.id)
    )
    ayse = db.session.scalar(sa.select(User).where(User.username == "ayse"))
    lead_workflow.assign(lead, ayse, actor=desk)
    db.session.commit()
    received = lead.meta_created_at.date()
    assert dirty_days() == {received}
    assert_same_figures(desk)  # the changed day read from the leads, the others stored
    analytics_rollup.flush_batch(TZ)
    db.session.commit()
    assert not dirty_days()
    assert_same_figures(desk)


def test_every_way_of_writing_a_lead_marks_its_day(desk):
    clear_marks()
    lead = stored_at(30)  # an insert through the ORM
    db.session.commit()
    day = lead.meta_created_at.date()
    assert dirty_days() == {day}
    clear_marks()
    leads = FacebookLead.__table__
    db.session.execute(sa.update(leads).where(leads.c.id == lead.id).values(score=99))  # Core
    db.session.commit()
    assert dirty_days() == {day}
    clear_marks()
    db.session.execute(sa.delete(leads).where(leads.c.id == lead.id))  # erasure deletes rows
    db.session.commit()
    assert dirty_days() == {day}


def test_moving_a_lead_to_another_day_marks_both(desk):
    lead = stored_at(30)
    db.session.commit()
    clear_marks()
    before = lead.meta_created_at.date()
    lead.meta_created_at = lead.meta_created_at - timedelta(days=3)
    db.session.commit()
    assert dirty_days() == {before, before - timedelta(days=3)}


def test_a_change_the_rollup_does_not_read_marks_nothing_on_sqlite(desk):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's statement triggers mark every UPDATE (cheaply)")
    lead = stored_at(30)
    db.session.commit()
    clear_marks()
    lead.notes = "Prefers WhatsApp"
    db.session.commit()
    assert not dirty_days()


def test_another_time_zone_or_too_many_changed_days_read_the_leads(desk):
    store_everything()
    assert analytics_rolled.for_selection(desk, LeadFilters(), TZ) is not None
    assert analytics_rolled.for_selection(desk, LeadFilters(), "Europe/Berlin") is None
    db.session.execute(
        sa.insert(AnalyticsDirtyDay),
        [{"day": date(2026, 1, 1) + timedelta(days=n)} for n in range(40)],
    )
    db.session.commit()
    assert analytics_rolled.for_selection(desk, LeadFilters(), TZ) is None
    assert analytics_rollup.flush_batch(TZ) > 31  # the earliest 31 UTC days, in local days
    db.session.commit()
    assert analytics_rolled.for_selection(desk, LeadFilters(), TZ) is not None


def test_a_new_time_zone_rebuilds_the_rollup(desk):
    store_everything()
    while analytics_rollup.flush_batch("America/New_York"):
        pass
    db.session.commit()
    assert analytics_rollup.stored_zone() == "America/New_York"
    assert analytics_rolled.for_selection(desk, LeadFilters(), TZ) is None
    rolled = analytics_rolled.for_selection(desk, LeadFilters(), "America/New_York")
    raw = RawCounts(desk, LeadFilters(), "America/New_York")
    assert rolled.funnel(PERIODS[2]) == raw.funnel(PERIODS[2])
    assert rolled.daily_received(PERIODS[0]) == raw.daily_received(PERIODS[0])


def test_only_the_default_selection_of_a_superadmin_is_rolled_up(desk):
    store_everything()
    staff = db.session.scalar(sa.select(User).where(User.username == "ayse"))
    assert analytics_rolled.for_selection(staff, LeadFilters(), TZ) is None
    for filters in (
        LeadFilters(campaign_id="600"),
        LeadFilters(include_test=True),
        LeadFilters(include_duplicates=True),
        LeadFilters(q="ayse"),
        LeadFilters(score_min=50),
    ):
        assert analytics_rolled.for_selection(desk, filters, TZ) is None
    dated = LeadFilters(date_from=date(2026, 11, 1), date_to=date(2026, 11, 15))
    assert analytics_rolled.for_selection(desk, dated, TZ) is not None


def test_rebuild_command_counts_every_day(app, desk):
    result = app.test_cli_runner().invoke(args=["analytics", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Analytics rollup rebuilt" in result.output
    assert not dirty_days()
    assert_same_figures(desk)


def test_a_changed_day_inside_a_whole_month_reads_that_month_by_day(desk):
    store_everything()
    lead = db.session.scalar(
        sa.select(FacebookLead)
        .where(FacebookLead.meta_created_at < NOW - timedelta(days=150))
        .where(FacebookLead.meta_created_at > NOW - timedelta(days=250))
        .order_by(FacebookLead.id)
    )
    lead.score = (lead.score or 0) + 5
    lead.status = S.CONVERTED
    lead.converted_at = NOW - timedelta(days=1)
    db.session.commit()
    rolled = analytics_rolled.for_selection(desk, LeadFilters(), TZ)
    month = lead.meta_created_at.date().replace(day=1)
    year = PERIODS[2]
    assert month not in rolled.stored.whole_spans(year.start, year.end, "month")
    assert len(rolled.stored.whole_spans(year.start, year.end, "month")) == 10  # 11, one changed
    assert_same_figures(desk)


def test_days_outside_whole_months_are_the_gaps_between_them():
    months = [date(2026, 1, 1), date(2026, 3, 1)]
    assert analytics_stored.outside(date(2025, 12, 20), date(2026, 3, 31), months, "month") == [
        (date(2025, 12, 20), date(2025, 12, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
    ]
    assert analytics_stored.outside(date(2026, 1, 1), date(2026, 4, 2), months, "month") == [
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 4, 1), date(2026, 4, 2)),
    ]
    assert analytics_stored.outside(None, None, [], "week") == [(None, None)]


def test_thirty_days_read_whole_weeks_and_the_days_around_them(desk):
    store_everything()
    rolled = analytics_rolled.for_selection(desk, LeadFilters(), TZ)
    start, end = date(2026, 10, 22), date(2026, 11, 20)  # a Thursday to a Friday
    assert rolled.stored.whole_spans(start, end, "week") == [
        date(2026, 10, 26),
        date(2026, 11, 2),
        date(2026, 11, 9),
    ]
    raw = RawCounts(desk, LeadFilters(), TZ)
    period = Period("custom", start, end)
    for method in METHODS:
        assert getattr(rolled, method)(period) == getattr(raw, method)(period), method


@pytest.fixture
def daily_reads():
    """The statements that read `analytics_daily`, as they run."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if "FROM analytics_daily" in statement:
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(db.engine, "before_cursor_execute", record)


def test_a_view_reuses_the_sums_of_stored_rows_until_their_spans_are_stored_again(
    desk, daily_reads
):
    store_everything()
    assert_same_figures(desk)
    assert daily_reads, "the first view reads the stored rows"
    daily_reads.clear()
    assert_same_figures(desk)
    assert daily_reads == [], "kept: nothing stored since"

    # A lead of 1 November changes and its day is stored again (no view in between): the
    # parts holding that day, its week or its month are read again, the others are not.
    lead = db.session.scalar(
        sa.select(FacebookLead)
        .where(FacebookLead.meta_created_at >= datetime(2026, 11, 1, tzinfo=UTC))
        .where(FacebookLead.meta_created_at < datetime(2026, 11, 15, tzinfo=UTC))
        .where(FacebookLead.deleted_at.is_(None), FacebookLead.is_test.is_(False))
        .where(FacebookLead.duplicate_of_id.is_(None))
        .order_by(FacebookLead.id)
    )
    assert lead is not None
    lead.score = (lead.score or 0) + 7
    lead.campaign_name = "Renamed campaign"
    lead.first_contacted_at = lead.meta_created_at + timedelta(minutes=3)
    db.session.commit()
    while analytics_rollup.flush_batch(TZ):
        pass
    db.session.commit()
    assert not dirty_days()
    daily_reads.clear()
    assert_same_figures(desk)
    assert daily_reads, "the day stored again is read again"
    daily_reads.clear()
    assert_same_figures(desk)
    assert daily_reads == []


def test_a_day_emptied_of_its_leads_is_not_read_from_what_was_kept(desk):
    store_everything()
    assert_same_figures(desk)
    received = db.session.scalar(
        sa.select(FacebookLead.meta_created_at)
        .where(FacebookLead.meta_created_at >= datetime(2026, 11, 1, tzinfo=UTC))
        .where(FacebookLead.deleted_at.is_(None))
        .order_by(FacebookLead.meta_created_at)
    )
    day = received.astimezone(ZoneInfo(TZ)).date()
    midnight = datetime.combine(day, datetime.min.time(), ZoneInfo(TZ))
    on_that_day = sa.and_(
        FacebookLead.meta_created_at >= midnight,
        FacebookLead.meta_created_at < midnight + timedelta(days=1),
    )
    db.session.execute(sa.update(FacebookLead).where(on_that_day).values(deleted_at=NOW))
    lead_counters.recount()  # plain SQL: the status counters are the services' to keep
    db.session.commit()
    while analytics_rollup.flush_batch(TZ):
        pass
    db.session.commit()
    assert not db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AnalyticsDaily)
        .where(AnalyticsDaily.day == day, AnalyticsDaily.span == "day")
    ), "the day has no rows left"
    assert_same_figures(desk)
