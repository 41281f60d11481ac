"""Dashboard pages at scale: one-pass search pages, capped totals, and the pager window."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, LeadStatus, User
from app.services import lead_filters, lead_service, lead_stats, search_matches
from app.services.lead_filters import LeadFilters
from app.services.lead_listing import LeadPage, list_leads
from tests import factories

START = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def admin(app_ctx, users) -> User:
    return db.session.get(User, users["admin"])


@pytest.fixture
def searchable(app_ctx) -> list[int]:
    """Seven "Derya" leads with shuffled times and scores, plus a hidden one and another name."""
    ids = [
        factories.make_lead(
            first_name="Derya",
            meta_created_at=START + timedelta(hours=(i * 5) % 7),
            score=(i * 3) % 4 * 10,
        ).id
        for i in range(7)
    ]
    factories.make_lead(first_name="Derya", is_test=True)
    factories.make_lead(first_name="Kemal")
    db.session.commit()
    return ids


def usual_page(user: User, filters: LeadFilters, page: int, per_page: int) -> list[int]:
    """The page as the plain ids-first query orders it."""
    query = lead_service.filtered_leads(user, filters).with_only_columns(lead_service.L.id)
    return list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)))


@pytest.mark.parametrize("sort", list(lead_filters.SORTS))
def test_search_pages_match_the_usual_order_and_count_in_every_sort(admin, searchable, sort):
    filters = LeadFilters(q="derya", sort=sort)
    for page in (1, 2, 3):
        found = list_leads(admin, filters, page, per_page=3)
        assert [lead.id for lead in found.items] == usual_page(admin, filters, page, per_page=3)
        assert (found.total, found.exact, found.pages) == (7, True, 3)


def test_search_past_the_last_page_still_knows_the_total(admin, searchable):
    found = list_leads(admin, LeadFilters(q="derya"), 9, per_page=3)
    assert (found.items, found.total, found.exact) == ([], 7, True)


@pytest.mark.parametrize("hashed", [20_000, 0], ids=["hashed", "looked-up"])
@pytest.mark.parametrize("sort", list(lead_filters.SORTS))
def test_a_wide_search_walks_the_list_in_every_sort_and_knows_its_total_at_the_end(
    admin, searchable, monkeypatch, sort, hashed
):
    monkeypatch.setattr(search_matches, "NARROW", 2)  # "derya" starts 8 terms: wide
    monkeypatch.setattr(search_matches, "SAMPLE", 2)
    monkeypatch.setattr(search_matches, "HASHED", hashed)  # its leads hashed, or terms looked up
    filters = LeadFilters(q="derya", sort=sort)
    for page in (1, 2, 3):
        found = list_leads(admin, filters, page, per_page=3)
        assert [lead.id for lead in found.items] == usual_page(admin, filters, page, per_page=3)
    first = list_leads(admin, filters, 1, per_page=3)
    last = list_leads(admin, filters, 3, per_page=3)
    # Before the end the total is a lower bound (the sample, the pages so far); at the end exact.
    assert (first.total, first.exact, first.pages) == (3, False, 2)
    assert (last.total, last.exact, last.pages) == (7, True, 3)


def test_a_search_is_read_once_for_its_page_and_its_status_cards(admin, searchable, app):
    statements = []
    listen = sa.event.listens_for(db.engine, "before_cursor_execute")
    listen(lambda conn, cursor, statement, *args: statements.append(statement))
    with app.test_request_context():
        list_leads(admin, LeadFilters(q="derya"), 1, per_page=3)
        lead_stats.lead_stats(admin, filters=LeadFilters(q="derya"))
    reads = [s for s in statements if "facebook_leads.status AS status, facebook_leads.meta" in s]
    assert len(reads) == 1  # the matches, read once for both


def test_a_search_of_several_words_starts_from_the_rarest_and_checks_the_others(
    admin, searchable, monkeypatch
):
    both = factories.make_lead(first_name="Derya", last_name="Aksoy")
    factories.make_lead(first_name="Ayla", last_name="Aksoy")
    db.session.commit()
    monkeypatch.setattr(search_matches, "NARROW", 3)  # "derya" wide, "aksoy" narrow
    found = list_leads(admin, LeadFilters(q="derya aksoy"), 1)
    assert ([lead.id for lead in found.items], found.total, found.exact) == ([both.id], 1, True)
    stats = lead_stats.lead_stats(admin, filters=LeadFilters(q="aksoy derya"))
    assert (stats.by_status["new"], stats.capped) == (1, ())


@pytest.mark.parametrize("hashed", [20_000, 0], ids=["hashed", "looked-up"])
def test_a_wide_search_of_several_words_walks_with_the_rarest_and_checks_the_others(
    admin, searchable, monkeypatch, hashed
):
    both = [factories.make_lead(first_name="Derya", last_name="Aksoy").id for _ in range(2)]
    for _ in range(3):
        factories.make_lead(first_name="Ayla", last_name="Aksoy")
    db.session.commit()
    monkeypatch.setattr(search_matches, "NARROW", 1)  # both words wide (their counts alike)
    monkeypatch.setattr(search_matches, "HASHED", hashed)
    found = search_matches.matches(admin, LeadFilters(q="derya aksoy"), "UTC")
    assert found.hashed == ("aksoy" if hashed else None)
    pages = [list_leads(admin, LeadFilters(q="derya aksoy"), n, per_page=1) for n in (1, 2)]
    assert [lead.id for page in pages for lead in page.items] == sorted(both, reverse=True)
    whole = list_leads(admin, LeadFilters(q="derya aksoy"), 1, per_page=3)  # a short page
    assert (len(whole.items), whole.total, whole.exact) == (2, 2, True)


def test_pager_of_a_million_leads_lists_only_the_pages_around_the_current_one():
    pager = LeadPage([], page=201, per_page=50, total=1_000_000)
    assert list(pager.iter_pages()) == [1, None, 199, 200, 201, 202, 203, 204, None, 20_000]


def test_status_cards_of_a_search_count_each_status_exactly_and_a_wide_one_from_a_sample(
    admin, searchable, monkeypatch
):
    lead = db.session.get(FacebookLead, searchable[0])
    lead.status, lead.assigned_to_id = LeadStatus.CONTACTED, admin.id
    db.session.commit()
    stats = lead_stats.lead_stats(admin, filters=LeadFilters(q="derya"))
    assert (stats.by_status["new"], stats.by_status["contacted"], stats.capped) == (6, 1, ())
    monkeypatch.setattr(search_matches, "NARROW", 6)  # 8 terms: wide, the first 5 sampled
    monkeypatch.setattr(search_matches, "SAMPLE", 5)
    stats = lead_stats.lead_stats(admin, filters=LeadFilters(q="derya"))
    assert (stats.by_status["new"], stats.by_status["contacted"]) == (4, 1)
    assert set(stats.capped) == {status.value for status in LeadStatus}  # lower bounds: "4+"


@pytest.mark.parametrize("narrow", [True, False])
def test_a_staff_search_pages_and_counts_only_their_own_leads(app_ctx, users, monkeypatch, narrow):
    ayse, mehmet = (db.session.get(User, users[name]) for name in ("ayse", "mehmet"))
    own = [factories.make_lead(first_name="Derya", assigned_to_id=ayse.id).id for _ in range(2)]
    for _ in range(3):
        factories.make_lead(first_name="Derya", assigned_to_id=mehmet.id)
    factories.make_lead(first_name="Derya")  # nobody's
    db.session.commit()
    if not narrow:
        monkeypatch.setattr(search_matches, "NARROW", 1)  # 6 terms: wide, sampled, walked
    found = list_leads(ayse, LeadFilters(q="derya"), 1)
    stats = lead_stats.lead_stats(ayse, filters=LeadFilters(q="derya"))
    assert sorted(lead.id for lead in found.items) == sorted(own)
    assert found.total == 2
    assert sum(stats.by_status.values()) == 2
