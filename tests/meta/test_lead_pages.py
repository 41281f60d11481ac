"""Paging through leads that Meta (here: a fault proxy in front of the sandbox) answers oddly:
every lead is read or set aside by id, and every oddity is reported on its page."""

import pytest

from app.meta.client import GraphError
from app.meta.lead_pages import Problem
from tests.fault_proxy import deep_nest
from tests.meta.conftest import first_form, lead_ids


@pytest.fixture
def proxy(sandbox, fault_proxy):
    return fault_proxy(sandbox)


def read_all(client, form_id: str, limit: int = 10):
    pages = list(client.iter_lead_pages(form_id, limit=limit))
    return pages, [lead["id"] for page in pages for lead in page]


def problems(pages) -> list[list[str]]:
    return [[problem.code for problem in page.problems] for page in pages]


def test_a_page_whose_data_is_not_a_list_is_reported_and_paging_goes_on(sandbox, proxy, connect):
    form_id = first_form(sandbox)
    proxy.break_pages("data_not_list", after=1)
    pages, ids = read_all(connect(proxy.graph_url), form_id)
    assert problems(pages)[:3] == [[], ["page_data_not_list"], []]
    expected = lead_ids(sandbox.state.leads_of(form_id))
    assert ids == expected[:10] + expected[20:]  # the broken page's leads, and only those, unread


def test_a_full_page_that_loses_its_paging_ends_the_list_with_a_problem(sandbox, proxy, connect):
    form_id = first_form(sandbox)
    proxy.break_pages("drop_paging", after=1)
    pages, ids = read_all(connect(proxy.graph_url), form_id)
    assert problems(pages) == [[], ["paging_cut_short"]]
    assert len(ids) == 20  # 20 of 40 read; the problem says the rest was not


def test_a_full_page_without_next_but_with_a_cursor_is_followed(sandbox, connect, scripted_server):
    server = scripted_server()
    cursors = {"cursors": {"after": "C1"}}
    server.replies += [
        (200, {"data": [{"id": "1"}, {"id": "2"}], "paging": cursors}),
        (200, {"data": [{"id": "3"}]}),
    ]
    pages = list(connect(server.url).iter_lead_pages("5", limit=2))
    assert [lead_ids(page) for page in pages] == [["1", "2"], ["3"]]
    assert problems(pages) == [[], ["paging_next_missing"]]
    assert server.seen[1]["args"]["after"] == "C1"


def test_entries_that_are_not_leads_are_counted_and_the_leads_kept(sandbox, proxy, connect):
    form_id = first_form(sandbox)
    proxy.break_pages("non_objects")
    pages, ids = read_all(connect(proxy.graph_url), form_id)
    assert pages[0].problems == [Problem("page_entries_unusable", {"count": 3})]
    assert ids == lead_ids(sandbox.state.leads_of(form_id))


def test_a_poison_lead_is_set_aside_and_the_rest_of_its_page_read_lead_by_lead(
    sandbox, proxy, connect
):
    form_id = first_form(sandbox)
    leads = lead_ids(sandbox.state.leads_of(form_id))
    proxy.patch_lead(leads[3], deep_nest())
    pages, ids = read_all(connect(proxy.graph_url), form_id)
    assert ids == leads[:3] + leads[4:]
    assert [u.lead_id for u in pages[0].unreadable] == [leads[3]]
    assert "nested too deeply" in pages[0].unreadable[0].reason
    assert pages[0].unreadable[0].excerpt.startswith('{"id"')
    assert all(page.problems == [] for page in pages)


def test_a_truncated_page_is_retried_and_read_whole(sandbox, proxy, connect):
    form_id = first_form(sandbox)
    proxy.break_pages("truncate", times=2)  # the first two tries; the third is whole
    pages, ids = read_all(connect(proxy.graph_url), form_id)
    assert ids == lead_ids(sandbox.state.leads_of(form_id))
    assert all(page.problems == [] and page.unreadable == [] for page in pages)


def test_a_page_truncated_every_time_is_read_lead_by_lead(sandbox, proxy, connect):
    form_id = first_form(sandbox)
    proxy.break_pages("truncate", times=3)  # every try of the full page (max_retries=2)
    pages, ids = read_all(connect(proxy.graph_url), form_id)
    assert ids == lead_ids(sandbox.state.leads_of(form_id))


def test_a_page_that_cannot_be_read_even_for_ids_raises(sandbox, proxy, connect):
    form_id = first_form(sandbox)
    proxy.break_pages("truncate", times=20)
    with pytest.raises(GraphError) as caught:
        read_all(connect(proxy.graph_url), form_id)
    assert caught.value.unreadable and "not JSON" in caught.value.message
