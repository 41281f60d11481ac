"""Dashboard pages at scale: one-pass search pages, capped totals, and the pager window."""

from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.models import FacebookLead, LeadStatus, User
from app.services import lead_filters, lead_listing, lead_service, lead_stats
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


def test_search_with_more_matches_than_the_cap_shows_a_capped_total(admin, searchable, monkeypatch):
    monkeypatch.setattr(lead_stats, "COUNT_CAP", 5)
    monkeypatch.setattr(lead_listing, "COUNT_CAP", 5)
    filters = LeadFilters(q="derya")
    found = list_leads(admin, filters, 2, per_page=3)
    assert (found.total, found.exact) == (5, False)
    assert [lead.id for lead in found.items] == usual_page(admin, filters, 2, per_page=3)


def test_pager_of_a_million_leads_lists_only_the_pages_around_the_current_one():
    pager = LeadPage([], page=201, per_page=50, total=1_000_000)
    assert list(pager.iter_pages()) == [1, None, 199, 200, 201, 202, 203, 204, None, 20_000]


def test_status_cards_of_a_search_count_each_status_exactly_and_past_the_cap_cap_each(
    admin, searchable, monkeypatch
):
    lead = db.session.get(FacebookLead, searchable[0])
    lead.status, lead.assigned_to_id = LeadStatus.CONTACTED, admin.id
    db.session.commit()
    stats = lead_stats.lead_stats(admin, filters=LeadFilters(q="derya"))
    assert (stats.by_status["new"], stats.by_status["contacted"], stats.capped) == (6, 1, ())
    monkeypatch.setattr(lead_stats, "COUNT_CAP", 5)  # 7 match: each status capped on its own
    stats = lead_stats.lead_stats(admin, filters=LeadFilters(q="derya"))
    assert (stats.by_status["new"], stats.by_status["contacted"]) == (5, 1)
    assert stats.capped == ("new",)
