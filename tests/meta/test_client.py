"""GraphClient against the Meta sandbox over real HTTP: paging, proof, errors, retries, secrets."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
from datetime import datetime

import pytest

from app.meta.client import ErrorKind, GraphError
from sandbox import (
    DEFAULT_PAGE_ID,
    DEFAULT_PAGE_NAME,
    DEFAULT_PAGE_TOKEN,
)
from sandbox.forms import FORM_KINDS
from tests.meta.conftest import BACKOFF, VERSION, first_form, graph_calls, lead_ids
from tests.sandbox.fixtures import SANDBOX_APP_SECRET

EXPECTED_PROOF = hmac.new(
    SANDBOX_APP_SECRET.encode(), DEFAULT_PAGE_TOKEN.encode(), hashlib.sha256
).hexdigest()
REQUIRED_LEAD_FIELDS = {
    "id",
    "created_time",
    "field_data",
    "form_id",
    "ad_id",
    "ad_name",
    "adset_id",
    "adset_name",
    "campaign_id",
    "campaign_name",
    "is_organic",
    "platform",
    "custom_disclaimer_responses",
}


def jitter_bounds(attempt: int) -> tuple[float, float]:
    base = BACKOFF * 2**attempt
    return base * 0.5, base * 1.5


# --- paging, filtering, fields ---------------------------------------------------------------


def test_iter_lead_pages_follows_next_to_the_last_page_yielding_every_lead_once(sandbox, connect):
    form_id = first_form(sandbox)
    sandbox.state.add_bulk(form_id, 160)  # 40 seeded + 160 = 200 leads
    client = connect(sandbox.graph_url)

    pages = list(client.iter_lead_pages(form_id, limit=50))

    # The last page is full and has no `next`: its cursor confirms the end (an empty page).
    assert [len(page) for page in pages] == [50, 50, 50, 50, 0]
    assert [page.problems for page in pages] == [[]] * 5
    got = [lead["id"] for page in pages for lead in page]
    assert got == lead_ids(sandbox.state.leads_of(form_id))
    assert len(set(got)) == 200
    calls = graph_calls(sandbox)
    assert len(calls) == 5
    assert all(path == f"/{VERSION}/{form_id}/leads" for path, _ in calls)
    assert all(params["limit"] == "50" for _, params in calls)
    assert "after" not in calls[0][1] and all("after" in params for _, params in calls[1:])


def test_iter_leads_pages_by_at_most_100_and_returns_every_lead(sandbox, connect):
    form_id = first_form(sandbox)
    sandbox.state.add_bulk(form_id, 210)  # 250 leads -> 100 + 100 + 50
    client = connect(sandbox.graph_url)

    leads = list(client.iter_leads(form_id))

    assert lead_ids(leads) == lead_ids(sandbox.state.leads_of(form_id))
    assert len({lead["id"] for lead in leads}) == 250
    calls = graph_calls(sandbox)
    assert len(calls) == math.ceil(250 / 100)
    assert {params["limit"] for _, params in calls} == {"100"}


def test_iter_lead_pages_caps_a_limit_above_100(sandbox, connect):
    form_id = first_form(sandbox)
    client = connect(sandbox.graph_url)

    pages = list(client.iter_lead_pages(form_id, limit=500))

    assert [len(page) for page in pages] == [40]
    assert graph_calls(sandbox)[0][1]["limit"] == "100"


def test_iter_leads_since_sends_a_time_created_filter_and_gets_only_newer_leads(sandbox, connect):
    form_id = first_form(sandbox)
    all_leads = sandbox.state.leads_of(form_id)
    pivot = all_leads[len(all_leads) // 2]["created_time"]
    since = datetime.strptime(pivot, "%Y-%m-%dT%H:%M:%S%z")
    client = connect(sandbox.graph_url)

    leads = list(client.iter_leads(form_id, since=since))

    expected = [lead["id"] for lead in all_leads if lead["created_time"] > pivot]
    assert 0 < len(expected) < len(all_leads)
    assert lead_ids(leads) == expected
    filtering = json.loads(graph_calls(sandbox)[0][1]["filtering"])
    assert filtering == [
        {"field": "time_created", "operator": "GREATER_THAN", "value": int(since.timestamp())}
    ]


def test_iter_leads_without_since_sends_no_filter(sandbox, connect):
    client = connect(sandbox.graph_url)

    list(client.iter_leads(first_form(sandbox)))

    assert "filtering" not in graph_calls(sandbox)[0][1]


def test_iter_leads_requests_every_lead_field_and_gets_them_back(sandbox, connect):
    form_id = first_form(sandbox)
    client = connect(sandbox.graph_url)

    leads = list(client.iter_leads(form_id))

    requested = set(graph_calls(sandbox)[0][1]["fields"].split(","))
    assert requested >= REQUIRED_LEAD_FIELDS
    assert "post_submission_check_result" not in requested
    for lead in leads:
        assert {"id", "created_time", "field_data", "form_id", "is_organic", "platform"} <= set(
            lead
        )
        assert lead["form_id"] == form_id
        assert isinstance(lead["field_data"], list) and lead["field_data"]


def test_a_transient_error_on_a_followed_page_is_retried_and_paging_completes(sandbox, connect):
    form_id = first_form(sandbox)
    sandbox.state.inject_fault(2, after=1, path_contains="/leads")
    sleeps: list[float] = []
    client = connect(sandbox.graph_url, sleep=sleeps.append)

    pages = list(client.iter_lead_pages(form_id, limit=25))

    assert [len(page) for page in pages] == [25, 15]
    assert lead_ids([lead for page in pages for lead in page]) == lead_ids(
        sandbox.state.leads_of(form_id)
    )
    assert len(graph_calls(sandbox)) == 3
    assert len(sleeps) == 1


def test_a_fault_after_the_first_page_fails_on_the_second_after_yielding_the_first(
    sandbox, connect
):
    form_id = first_form(sandbox)
    sandbox.state.inject_fault(80005, after=1, path_contains="/leads", regain_minutes=3)
    client = connect(sandbox.graph_url)
    received: list[list[dict]] = []

    with pytest.raises(GraphError) as caught:
        for page in client.iter_lead_pages(form_id, limit=25):
            received.append(page)

    assert lead_ids(received[0]) == lead_ids(sandbox.state.leads_of(form_id)[:25])
    assert len(received) == 1
    assert caught.value.code == 80005
    assert caught.value.kind is ErrorKind.THROTTLED
    assert caught.value.retry_after_s == 180
    assert len(graph_calls(sandbox)) == 2


# --- appsecret_proof ---------------------------------------------------------------------------


def test_appsecret_proof_is_sent_on_every_call_including_followed_pages(sandbox, connect):
    form_id = first_form(sandbox)
    client = connect(sandbox.graph_url)

    list(client.iter_lead_pages(form_id, limit=10))
    client.get_me()

    calls = graph_calls(sandbox)
    assert len(calls) == 6  # 4 full pages, the cursor after the last one, /me
    assert [params.get("appsecret_proof") for _, params in calls] == [EXPECTED_PROOF] * 6


def test_a_next_url_without_a_proof_gets_the_proof_added(scripted_server, connect):
    own = scripted_server()
    own.replies += [
        (200, {"data": [{"id": "1"}], "paging": {"next": f"{own.url}/{VERSION}/5/leads?after=C"}}),
        (200, {"data": [{"id": "2"}]}),
    ]
    client = connect(own.url)

    assert lead_ids(list(client.iter_leads("5"))) == ["1", "2"]
    assert [seen["args"].get("appsecret_proof") for seen in own.seen] == [EXPECTED_PROOF] * 2
    assert own.seen[1]["args"]["after"] == "C"


def test_a_sandbox_that_requires_proof_accepts_the_clients_proof(sandbox_factory, connect):
    server = sandbox_factory(require_proof=True)
    form_id = first_form(server)
    client = connect(server.graph_url)

    leads = list(client.iter_lead_pages(form_id, limit=15))

    assert sum(len(page) for page in leads) == 40
    assert client.get_me()["id"] == DEFAULT_PAGE_ID


def test_a_wrong_app_secret_is_refused_as_a_permanent_code_100(sandbox_factory, connect):
    server = sandbox_factory(require_proof=True)
    client = connect(server.graph_url, app_secret="not-the-secret")

    with pytest.raises(GraphError) as caught:
        client.get_me()

    assert caught.value.code == 100
    assert caught.value.kind is ErrorKind.PERMANENT
    assert "appsecret_proof" in caught.value.message
    assert len(graph_calls(server)) == 1


def test_a_client_without_an_app_secret_is_refused_where_proof_is_required(
    sandbox_factory, connect
):
    server = sandbox_factory(require_proof=True)
    client = connect(server.graph_url, app_secret="")

    with pytest.raises(GraphError) as caught:
        client.get_me()

    assert (caught.value.code, caught.value.kind) == (100, ErrorKind.PERMANENT)
    assert "appsecret_proof" not in graph_calls(server)[0][1]


# --- error classification ----------------------------------------------------------------------


@pytest.mark.parametrize("subcode", [467, 463])
def test_code_190_is_auth_and_raised_at_once_without_retry(sandbox, connect, subcode):
    sandbox.state.inject_fault(190, subcode=subcode, times=5)
    sleeps: list[float] = []
    client = connect(sandbox.graph_url, sleep=sleeps.append)

    with pytest.raises(GraphError) as caught:
        client.get_me()

    assert caught.value.kind is ErrorKind.AUTH
    assert (caught.value.code, caught.value.subcode) == (190, subcode)
    assert caught.value.http_status == 400
    assert caught.value.fbtrace_id
    assert len(graph_calls(sandbox)) == 1
    assert sleeps == []


def test_a_revoked_token_is_auth_and_not_retried(sandbox, connect):
    sandbox.state.revoke_token(DEFAULT_PAGE_TOKEN, subcode=463)
    client = connect(sandbox.graph_url)

    with pytest.raises(GraphError) as caught:
        list(client.iter_leads(first_form(sandbox)))

    assert (caught.value.kind, caught.value.code, caught.value.subcode) == (
        ErrorKind.AUTH,
        190,
        463,
    )
    assert len(graph_calls(sandbox)) == 1


def test_code_102_is_auth_and_not_retried(sandbox, connect):
    sandbox.state.inject_fault(102, times=5)
    client = connect(sandbox.graph_url)

    with pytest.raises(GraphError) as caught:
        client.get_me()

    assert (caught.value.kind, caught.value.code) == (ErrorKind.AUTH, 102)
    assert len(graph_calls(sandbox)) == 1


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80005])
def test_throttle_codes_are_throttled_with_retry_after_from_regain_minutes(sandbox, connect, code):
    sandbox.state.inject_fault(code, times=5, regain_minutes=7)
    sleeps: list[float] = []
    client = connect(sandbox.graph_url, sleep=sleeps.append)

    with pytest.raises(GraphError) as caught:
        list(client.iter_leads(first_form(sandbox)))

    assert (caught.value.kind, caught.value.code) == (ErrorKind.THROTTLED, code)
    assert caught.value.retry_after_s == 420
    assert caught.value.http_status == 400  # Meta throttles with 400, never 429
    assert len(graph_calls(sandbox)) == 1
    assert sleeps == []


def test_a_throttle_without_a_usage_header_waits_the_default(scripted_server, connect):
    server = scripted_server((400, {"error": {"code": 4, "message": "(#4) limit"}}))
    client = connect(server.url)

    with pytest.raises(GraphError) as caught:
        client.get_me()

    assert caught.value.kind is ErrorKind.THROTTLED
    assert caught.value.retry_after_s == 600
    assert len(server.seen) == 1


@pytest.mark.parametrize("code", [1, 2])
def test_transient_codes_are_retried_with_growing_jittered_backoff_then_succeed(
    sandbox, connect, code
):
    sandbox.state.inject_fault(code, times=3)
    sleeps: list[float] = []
    client = connect(sandbox.graph_url, max_retries=4, sleep=sleeps.append)

    me = client.get_me()

    assert me == {"id": DEFAULT_PAGE_ID, "name": DEFAULT_PAGE_NAME}
    assert len(graph_calls(sandbox)) == 4
    assert len(sleeps) == 3
    for attempt, delay in enumerate(sleeps):
        low, high = jitter_bounds(attempt)
        assert low <= delay <= high
    assert sleeps[2] > sleeps[0]  # jitter can't hide a 4x growth over two steps


@pytest.mark.parametrize("code", [1, 2])
def test_a_persistent_transient_error_is_raised_after_max_retries_plus_one_attempts(
    sandbox, connect, code
):
    sandbox.state.inject_fault(code, times=10)
    sleeps: list[float] = []
    client = connect(sandbox.graph_url, max_retries=3, sleep=sleeps.append)

    with pytest.raises(GraphError) as caught:
        client.get_me()

    assert (caught.value.kind, caught.value.code) == (ErrorKind.TRANSIENT, code)
    assert caught.value.http_status == 500
    assert len(graph_calls(sandbox)) == 4
    assert len(sleeps) == 3


def test_an_unknown_code_flagged_is_transient_is_retried(scripted_server, connect):
    server = scripted_server(
        (400, {"error": {"code": 9999, "message": "odd", "is_transient": True}}),
        (200, {"id": "1", "name": "Page"}),
    )
    sleeps: list[float] = []
    client = connect(server.url, sleep=sleeps.append)

    assert client.get_me() == {"id": "1", "name": "Page"}
    assert len(server.seen) == 2 and len(sleeps) == 1


def test_a_slow_response_times_out_as_transient_code_0_and_the_retry_succeeds(sandbox, connect):
    sandbox.state.inject_fault(0, delay_s=0.6)
    sleeps: list[float] = []
    client = connect(sandbox.graph_url, timeout=0.2, sleep=sleeps.append)

    me = client.get_me()

    assert me["id"] == DEFAULT_PAGE_ID
    assert len(sleeps) == 1
    assert len(graph_calls(sandbox)) == 2


def test_a_slow_response_that_stays_slow_raises_a_timed_out_transient_error(sandbox, connect):
    sandbox.state.inject_fault(0, delay_s=0.5, times=2)
    sleeps: list[float] = []
    client = connect(sandbox.graph_url, timeout=0.15, max_retries=1, sleep=sleeps.append)

    with pytest.raises(GraphError) as caught:
        client.get_me()

    assert (caught.value.kind, caught.value.code) == (ErrorKind.TRANSIENT, 0)
    assert "timed out" in str(caught.value)
    assert len(sleeps) == 1


def test_a_refused_connection_is_a_transient_network_error_retried(connect):
    sleeps: list[float] = []
    client = connect("http://127.0.0.1:1", max_retries=1, sleep=sleeps.append)  # nothing listens

    with pytest.raises(GraphError) as caught:
        client.get_me()

    assert (caught.value.kind, caught.value.code) == (ErrorKind.TRANSIENT, 0)
    assert "network error" in caught.value.message
    assert len(sleeps) == 1


def test_a_non_json_502_is_transient_and_retried(sandbox, connect):
    sandbox.state.inject_fault(-1)
    sleeps: list[float] = []
    client = connect(sandbox.graph_url, sleep=sleeps.append)

    assert client.get_me()["id"] == DEFAULT_PAGE_ID
    assert len(sleeps) == 1 and len(graph_calls(sandbox)) == 2


def test_a_persistent_non_json_502_raises_transient_with_the_http_status(sandbox, connect):
    sandbox.state.inject_fault(-1, times=5)
    client = connect(sandbox.graph_url, max_retries=2)

    with pytest.raises(GraphError) as caught:
        client.get_me()

    assert (caught.value.kind, caught.value.code) == (ErrorKind.TRANSIENT, -1)
    assert caught.value.http_status == 502
    assert len(graph_calls(sandbox)) == 3


def test_a_non_json_4xx_is_permanent_and_not_retried(scripted_server, connect):
    server = scripted_server((404, "<html>not found</html>"))
    client = connect(server.url)

    with pytest.raises(GraphError) as caught:
        client.get_me()

    assert (caught.value.kind, caught.value.code, caught.value.http_status) == (
        ErrorKind.PERMANENT,
        -1,
        404,
    )
    assert len(server.seen) == 1


def test_an_unknown_lead_id_is_a_permanent_100_33(sandbox, connect):
    client = connect(sandbox.graph_url)

    with pytest.raises(GraphError) as caught:
        client.get_lead("999999999999999")

    assert (caught.value.kind, caught.value.code, caught.value.subcode) == (
        ErrorKind.PERMANENT,
        100,
        33,
    )
    assert len(graph_calls(sandbox)) == 1


@pytest.mark.parametrize("code", [10, 200])
def test_permission_codes_are_permanent_and_not_retried(sandbox, connect, code):
    sandbox.state.inject_fault(code, times=5)
    client = connect(sandbox.graph_url)

    with pytest.raises(GraphError) as caught:
        client.get_me()

    assert (caught.value.kind, caught.value.code) == (ErrorKind.PERMANENT, code)
    assert caught.value.http_status == 403
    assert len(graph_calls(sandbox)) == 1


# --- foreign paging.next -----------------------------------------------------------------------


def test_a_foreign_next_url_is_not_followed_and_the_after_cursor_is_used_instead(
    scripted_server, connect
):
    evil = scripted_server()
    foreign_next = f"{evil.url}/{VERSION}/77/leads?access_token=x&after=CUR"
    own = scripted_server(
        (
            200,
            {"data": [{"id": "1"}], "paging": {"cursors": {"after": "CUR"}, "next": foreign_next}},
        ),
        (200, {"data": [{"id": "2"}]}),
    )
    client = connect(own.url)

    leads = list(client.iter_leads("77"))

    assert lead_ids(leads) == ["1", "2"]
    assert evil.seen == []
    second = own.seen[1]
    assert second["path"] == f"/{VERSION}/77/leads"
    assert second["args"]["after"] == "CUR"
    assert second["args"]["fields"] == own.seen[0]["args"]["fields"]
    assert second["args"]["appsecret_proof"] == EXPECTED_PROOF
    assert second["authorization"] == f"Bearer {DEFAULT_PAGE_TOKEN}"


def test_a_foreign_next_url_without_a_cursor_fallback_raises_and_sends_nothing_there(
    scripted_server, connect
):
    evil = scripted_server()
    own = scripted_server(
        (200, {"data": [{"id": "9"}], "paging": {"next": f"{evil.url}/{VERSION}/1/leadgen_forms"}})
    )
    client = connect(own.url)

    with pytest.raises(GraphError) as caught:
        client.list_forms("1")

    assert caught.value.kind is ErrorKind.PERMANENT
    assert evil.seen == []
    assert len(own.seen) == 1


# --- secrets stay out of logs, reprs and errors ------------------------------------------------


def test_the_token_never_appears_in_log_records(sandbox, connect, caplog):
    caplog.set_level(logging.DEBUG, logger="app")
    form_id = first_form(sandbox)
    sandbox.state.inject_fault(2, after=1, path_contains="/leads")
    client = connect(sandbox.graph_url, version="v20.0")  # below min_version: warning header

    list(client.iter_lead_pages(form_id, limit=15))
    sandbox.state.inject_fault(80005, regain_minutes=1)
    with pytest.raises(GraphError):
        client.get_me()

    records = [record for record in caplog.records if record.name.startswith("app")]
    messages = [record.getMessage() for record in records]
    assert any("graph GET" in message and "/leads" in message for message in messages)
    assert any("code=80005" in message for message in messages)
    assert any("retry" in message for message in messages)
    assert any("version warning" in message for message in messages)
    for record in records:
        for text in (record.getMessage(), repr(record.args)):
            assert DEFAULT_PAGE_TOKEN not in text
            assert SANDBOX_APP_SECRET not in text
            assert EXPECTED_PROOF not in text


def test_the_token_is_not_in_the_client_repr(sandbox, connect):
    client = connect(sandbox.graph_url)

    text = repr(client)

    assert sandbox.graph_url in text
    assert DEFAULT_PAGE_TOKEN not in text and SANDBOX_APP_SECRET not in text


def test_the_token_is_not_in_a_graph_errors_text(sandbox, connect):
    sandbox.state.revoke_token(DEFAULT_PAGE_TOKEN)
    client = connect(sandbox.graph_url, max_retries=0)
    sandbox.state.inject_fault(-1)
    errors: list[GraphError] = []

    for call in (client.get_me, client.get_me, lambda: client.get_lead("1")):
        with pytest.raises(GraphError) as caught:
            call()
        errors.append(caught.value)

    assert [error.code for error in errors] == [-1, 190, 190]
    for error in errors:
        assert DEFAULT_PAGE_TOKEN not in str(error)
        assert DEFAULT_PAGE_TOKEN not in repr(error)


def test_a_network_error_on_a_followed_page_does_not_echo_the_tokened_next_url(
    sandbox_factory, connect
):
    server = sandbox_factory()
    client = connect(server.graph_url, max_retries=0)
    pages = client.iter_lead_pages(first_form(server), limit=10)
    assert len(next(pages)) == 10
    server.shutdown()  # the next URL (which carries access_token) now gets a refused connection

    with pytest.raises(GraphError) as caught:
        next(pages)

    assert (caught.value.kind, caught.value.code) == (ErrorKind.TRANSIENT, 0)
    for text in (str(caught.value), repr(caught.value)):
        assert DEFAULT_PAGE_TOKEN not in text
        assert EXPECTED_PROOF not in text


# --- usage headers and single-object calls -----------------------------------------------------


def test_usage_headers_are_parsed_into_client_usage(sandbox, connect):
    form_id = first_form(sandbox)
    client = connect(sandbox.graph_url)

    list(client.iter_leads(form_id))

    app_usage = client.usage["x-app-usage"]
    assert set(app_usage) == {"call_count", "total_cputime", "total_time"}
    buc = client.usage["x-business-use-case-usage"][DEFAULT_PAGE_ID][0]
    assert buc["type"] == "leadgen"
    assert buc["estimated_time_to_regain_access"] == 0
    assert client.served_version == VERSION


def test_usage_of_a_throttled_response_shows_the_block(sandbox, connect):
    sandbox.state.inject_fault(4, regain_minutes=2)
    client = connect(sandbox.graph_url)

    with pytest.raises(GraphError):
        client.get_me()

    assert client.usage["x-app-usage"]["call_count"] == 100
    buc = client.usage["x-business-use-case-usage"][DEFAULT_PAGE_ID][0]
    assert buc["estimated_time_to_regain_access"] == 2


def test_get_lead_returns_the_lead_with_its_answers(sandbox, connect):
    stored = sandbox.state.leads_of(first_form(sandbox))[3]
    client = connect(sandbox.graph_url)

    lead = client.get_lead(stored["id"])

    for name in ("id", "created_time", "form_id", "field_data", "is_organic", "platform"):
        assert lead[name] == stored[name]
    path, params = graph_calls(sandbox)[0]
    assert path == f"/{VERSION}/{stored['id']}"
    assert set(params["fields"].split(",")) >= REQUIRED_LEAD_FIELDS


def test_get_me_returns_the_page_of_the_token(sandbox, connect):
    client = connect(sandbox.graph_url)

    assert client.get_me() == {"id": DEFAULT_PAGE_ID, "name": DEFAULT_PAGE_NAME}


def test_list_forms_returns_every_form_of_the_page(sandbox, connect):
    client = connect(sandbox.graph_url)

    forms = client.list_forms(DEFAULT_PAGE_ID)

    assert sorted(form["id"] for form in forms) == sorted(sandbox.state.form_ids())
    for form in forms:
        assert form["leads_count"] == 40
        assert {"name", "status", "locale", "created_time"} <= set(form)


def test_list_forms_follows_paging_past_50_forms(sandbox_factory, connect):
    server = sandbox_factory(leads_per_form=0)
    page = server.state.add_page("100000000000002", "Big Page", "big-token", FORM_KINDS * 20)
    client = connect(server.graph_url, token="big-token")

    forms = client.list_forms(page.id)

    assert sorted(form["id"] for form in forms) == sorted(page.forms)
    assert len(forms) == 60
    assert len(graph_calls(server)) == 2
