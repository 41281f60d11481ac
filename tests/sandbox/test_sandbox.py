"""The Meta sandbox over real HTTP: paging, filtering, fields, faults, auth, webhooks, control."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from flask import Flask
from flask_wtf.csrf import CSRFProtect

from sandbox import (
    DEFAULT_PAGE_ID,
    DEFAULT_PAGE_TOKEN,
    DEFAULT_USER_TOKEN,
    SANDBOX_APP_ID,
    SandboxState,
    appsecret_proof,
    bp,
    deliver_webhook,
    init_sandbox,
    start_lead_timer,
    webhook_change,
)
from sandbox.pools import HOSTILE_VALUES
from tests.sandbox.fixtures import SANDBOX_APP_SECRET, WEBHOOK_VERIFY_TOKEN

HAIR, DENTAL, IVF = "200000000000001", "200000000000002", "200000000000003"
APP_TOKEN = f"{SANDBOX_APP_ID}|{SANDBOX_APP_SECRET}"
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$")


def get(server, path: str, token: str | None = DEFAULT_PAGE_TOKEN, **params) -> requests.Response:
    if token is not None:
        params["access_token"] = token
    return requests.get(f"{server.graph_url}/v24.0/{path}", params=params, timeout=5)


def error_of(response: requests.Response) -> dict:
    return response.json()["error"]


def walk(server, path: str, **params) -> tuple[list[dict], list[dict]]:
    """Follow paging.next to the end; return (all items, every paging block)."""
    items, pagings = [], []
    response = get(server, path, **params)
    for _ in range(1000):  # a `next` that never goes away must fail, not hang
        body = response.json()
        items += body["data"]
        pagings.append(body.get("paging", {}))
        if "next" not in pagings[-1]:
            return items, pagings
        response = requests.get(pagings[-1]["next"], timeout=5)
    raise AssertionError("paging.next never disappeared")


# --- paging, filtering, fields -------------------------------------------------------------------


def test_paging_returns_every_lead_once_newest_first_with_absolute_next(sandbox):
    leads, pagings = walk(sandbox, f"{HAIR}/leads", limit=7, fields="id,created_time")
    assert [lead["id"] for lead in leads] == [lead["id"] for lead in sandbox.state.leads_of(HAIR)]
    assert len({lead["id"] for lead in leads}) == 40
    times = [lead["created_time"] for lead in leads]
    assert times == sorted(times, reverse=True)
    assert len(pagings) == 6 and "next" not in pagings[-1]
    first_next = pagings[0]["next"]
    assert first_next.startswith(sandbox.graph_url + f"/v24.0/{HAIR}/leads?")
    assert (
        f"access_token={DEFAULT_PAGE_TOKEN}" in first_next
        and "fields=id%2Ccreated_time" in first_next
    )


def test_limit_defaults_to_25_and_is_clamped_to_100(sandbox):
    sandbox.state.add_bulk(HAIR, 200)
    assert len(get(sandbox, f"{HAIR}/leads").json()["data"]) == 25
    assert len(get(sandbox, f"{HAIR}/leads", limit=5000).json()["data"]) == 100


def test_bearer_token_and_before_cursor_page_backwards(sandbox):
    url = f"{sandbox.graph_url}/v24.0/{HAIR}/leads"
    auth = {"Authorization": f"Bearer {DEFAULT_PAGE_TOKEN}"}
    first = requests.get(url, params={"limit": 5}, headers=auth, timeout=5).json()
    second = requests.get(first["paging"]["next"], timeout=5).json()
    assert "previous" in second["paging"] and "previous" not in first["paging"]
    back = requests.get(
        url,
        headers=auth,
        timeout=5,
        params={"limit": 5, "before": second["paging"]["cursors"]["before"]},
    ).json()
    assert [lead["id"] for lead in back["data"]] == [lead["id"] for lead in first["data"]]
    assert error_of(get(sandbox, f"{HAIR}/leads", after="bm90LWEtY3Vyc29y"))["code"] == 100


def test_filtering_operators_and_window(sandbox_factory):
    server = sandbox_factory(now=lambda: NOW)
    stamps = [
        int(datetime.strptime(lead["created_time"], "%Y-%m-%dT%H:%M:%S%z").timestamp())
        for lead in server.state.leads_of(HAIR)
    ]
    pivot, low = stamps[10], stamps[30]

    def ids(*conditions) -> set[str]:
        filters = [{"field": "time_created", "operator": op, "value": v} for op, v in conditions]
        items, _ = walk(server, f"{HAIR}/leads", filtering=json.dumps(filters), limit=100)
        return {item["id"] for item in items}

    assert len(ids(("GREATER_THAN", pivot))) == sum(s > pivot for s in stamps)
    assert len(ids(("GREATER_THAN_OR_EQUAL", pivot))) == sum(s >= pivot for s in stamps)
    assert len(ids(("LESS_THAN", pivot))) == sum(s < pivot for s in stamps)
    window = ids(("GREATER_THAN", low), ("LESS_THAN", pivot))
    assert len(window) == sum(low < s < pivot for s in stamps) > 0
    assert ids(("GREATER_THAN", str(NOW.timestamp()))) == set()  # numeric strings accepted


@pytest.mark.parametrize(
    "filtering",
    [
        '[{"field":"created_time","operator":"GREATER_THAN","value":1}]',
        '[{"field":"time_created","operator":"EQUAL","value":1}]',
        '[{"field":"time_created","operator":"LESS_THAN","value":"soon"}]',
        "[{not json",
        '{"field":"time_created"}',
    ],
)
def test_bad_filtering_is_code_100(sandbox, filtering):
    response = get(sandbox, f"{HAIR}/leads", filtering=filtering)
    assert response.status_code == 400 and error_of(response)["code"] == 100


def test_fields_are_honoured_and_ads_absent_on_organic_leads(sandbox):
    default = get(sandbox, f"{HAIR}/leads", limit=100).json()["data"]
    assert all(
        set(lead) <= {"id", "created_time", "ad_id", "form_id", "field_data"} for lead in default
    )
    picked = get(sandbox, f"{HAIR}/leads", fields="created_time,is_organic,ad_name").json()["data"]
    assert all(set(lead) - {"ad_name"} == {"id", "created_time", "is_organic"} for lead in picked)
    everything = sandbox.state.leads_of(HAIR) + sandbox.state.leads_of(IVF)
    assert {lead["is_organic"] for lead in everything} == {True, False}
    assert all(("ad_id" in lead) != lead["is_organic"] for lead in everything)
    unknown = get(sandbox, f"{HAIR}/leads", fields="id,favourite_colour")
    assert "nonexisting field (favourite_colour)" in error_of(unknown)["message"]


def test_single_lead_has_no_envelope_and_unknown_id_is_100_33(sandbox):
    lead = sandbox.state.leads_of(DENTAL)[3]
    body = get(
        sandbox, lead["id"], fields="id,field_data,form_id,custom_disclaimer_responses"
    ).json()
    assert body == {
        k: lead[k] for k in ("id", "field_data", "form_id", "custom_disclaimer_responses")
    }
    missing = get(sandbox, "1999999999999999")
    assert missing.status_code == 400
    error = error_of(missing)
    assert (error["code"], error["error_subcode"], error["type"]) == (
        100,
        33,
        "GraphMethodException",
    )
    assert error["message"].startswith("Unsupported get request. Object with ID '1999999999999999'")


def test_leadgen_forms_list_questions_with_options_and_counts(sandbox):
    fields = "id,name,status,locale,created_time,leads_count,questions"
    forms, pagings = walk(sandbox, f"{DEFAULT_PAGE_ID}/leadgen_forms", fields=fields, limit=2)
    assert len(pagings) == 2 and {form["id"] for form in forms} == {HAIR, DENTAL, IVF}
    hair = next(form for form in forms if form["id"] == HAIR)
    assert hair["leads_count"] == 40 and TIME_RE.match(hair["created_time"])
    keys = {q["key"]: q for q in hair["questions"]}
    assert {"full_name", "email", "phone_number", "country", "how_old_are_you?"} <= set(keys)
    options = keys["which_treatment_are_you_interested_in?"]["options"]
    assert [o["key"] for o in options] == [
        "hair_transplant",
        "beard_transplant",
        "eyebrow_transplant",
    ]
    dental = get(sandbox, DENTAL, fields="id,questions").json()
    assert "date_of_birth" in [q["key"] for q in dental["questions"]]


def test_me_accounts_and_page_isolation(sandbox):
    assert get(sandbox, "me").json() == {"id": DEFAULT_PAGE_ID, "name": "MSH Med Tour"}
    pages = get(sandbox, "me/accounts", token=DEFAULT_USER_TOKEN).json()["data"]
    assert pages[0]["access_token"] == DEFAULT_PAGE_TOKEN
    sandbox.state.add_page("100000000000002", "Other Clinic", "other-token", kinds=("dental",))
    other_form = list(sandbox.state.pages["100000000000002"].forms)[0]
    assert error_of(get(sandbox, f"{other_form}/leads"))["error_subcode"] == 33
    assert get(sandbox, f"{other_form}/leads", token="other-token").status_code == 200
    ad_id = sandbox.state.leads_of(IVF)[0].get("ad_id") or sandbox.state.forms[IVF].ads[0].ad_id
    ad_leads, _ = walk(sandbox, f"{ad_id}/leads", fields="ad_id")
    assert ad_leads and {lead["ad_id"] for lead in ad_leads} == {ad_id}


# --- auth and faults -----------------------------------------------------------------------------


def test_token_errors(sandbox):
    missing = get(sandbox, f"{HAIR}/leads", token=None)
    assert missing.status_code == 400 and error_of(missing)["code"] == 104
    unknown = get(sandbox, f"{HAIR}/leads", token="EAAB-not-ours")
    assert (error_of(unknown)["code"], error_of(unknown)["error_subcode"]) == (190, 467)
    assert "invalid_token" in unknown.headers["WWW-Authenticate"]
    sandbox.state.revoke_token(DEFAULT_PAGE_TOKEN, 460)
    revoked = error_of(get(sandbox, "me"))
    assert (revoked["code"], revoked["error_subcode"]) == (190, 460)


@pytest.mark.parametrize(
    ("code", "status"), [(10, 403), (200, 403), (1, 500), (2, 500), (368, 400)]
)
def test_fault_codes_map_to_meta_statuses(sandbox, code, status):
    sandbox.state.inject_fault(code)
    response = get(sandbox, f"{HAIR}/leads")
    error = error_of(response)
    assert response.status_code == status and error["code"] == code
    assert error["message"].startswith(f"(#{code})") and error["fbtrace_id"]
    assert error["is_transient"] is (code in (1, 2))
    assert get(sandbox, f"{HAIR}/leads").status_code == 200  # times=1


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80005])
def test_throttles_carry_buc_header_with_regain_minutes(sandbox, code):
    sandbox.state.inject_fault(code, subcode=2446079, regain_minutes=9)
    response = get(sandbox, f"{HAIR}/leads")
    assert response.status_code == 400 and error_of(response)["error_subcode"] == 2446079
    usage = json.loads(response.headers["X-Business-Use-Case-Usage"])[DEFAULT_PAGE_ID][0]
    assert usage["call_count"] == 100 and usage["estimated_time_to_regain_access"] == 9
    assert usage["type"] == "leadgen"
    app_usage = json.loads(response.headers["X-App-Usage"])
    assert (app_usage["call_count"] == 100) is (code == 4)
    ok = get(sandbox, f"{HAIR}/leads")
    assert (
        json.loads(ok.headers["X-Business-Use-Case-Usage"])[DEFAULT_PAGE_ID][0]["call_count"] < 100
    )


def test_slow_response_trips_client_timeout_then_recovers(sandbox):
    sandbox.state.inject_fault(0, delay_s=0.6)
    with pytest.raises(requests.ReadTimeout):
        requests.get(
            f"{sandbox.graph_url}/v24.0/me",
            timeout=0.2,
            params={"access_token": DEFAULT_PAGE_TOKEN},
        )
    started = time.monotonic()
    assert get(sandbox, "me").status_code == 200 and time.monotonic() - started < 0.5


def test_fault_after_times_path_and_token_filters(sandbox):
    state = sandbox.state
    state.inject_fault(2, after=2, times=2, path_contains="/leads")
    state.inject_fault(17, token=DEFAULT_USER_TOKEN)
    statuses = [get(sandbox, f"{HAIR}/leads").status_code for _ in range(5)]
    assert statuses == [200, 200, 500, 500, 200]
    assert get(sandbox, "me").status_code == 200
    assert error_of(get(sandbox, "me", token=DEFAULT_USER_TOKEN))["code"] == 17
    state.inject_fault(-1)
    gateway = get(sandbox, "me")
    assert gateway.status_code == 502 and gateway.headers["Content-Type"].startswith("text/html")
    state.inject_fault(1, times=5)
    state.clear_faults()
    assert get(sandbox, "me").status_code == 200


def test_appsecret_proof_required_wrong_and_right(sandbox_factory):
    server = sandbox_factory(require_proof=True)
    missing = error_of(get(server, "me"))
    assert missing["code"] == 100
    assert missing["message"] == "API calls from the server require an appsecret_proof argument"
    wrong = error_of(get(server, "me", appsecret_proof="0" * 64))
    assert wrong["message"] == "Invalid appsecret_proof provided in the API argument"
    expected = hmac.new(SANDBOX_APP_SECRET.encode(), DEFAULT_PAGE_TOKEN.encode(), hashlib.sha256)
    assert get(server, "me", appsecret_proof=expected.hexdigest()).status_code == 200
    timed = appsecret_proof(SANDBOX_APP_SECRET, DEFAULT_PAGE_TOKEN, "1700000000")
    assert get(server, "me", appsecret_proof=timed, appsecret_time="1700000000").status_code == 200


def test_debug_token_reports_valid_revoked_and_unknown_tokens(sandbox):
    def debug(token: str) -> dict:
        return get(sandbox, "debug_token", token=APP_TOKEN, input_token=token).json()["data"]

    page = debug(DEFAULT_PAGE_TOKEN)
    assert page["is_valid"] is True and page["type"] == "PAGE" and page["expires_at"] == 0
    assert page["profile_id"] == DEFAULT_PAGE_ID and "leads_retrieval" in page["scopes"]
    assert debug(DEFAULT_USER_TOKEN)["type"] == "USER"
    unknown = debug("EAAB-unknown")
    assert unknown["is_valid"] is False and unknown["error"]["code"] == 190
    sandbox.state.revoke_token(DEFAULT_PAGE_TOKEN, 463)
    assert debug(DEFAULT_PAGE_TOKEN)["error"]["subcode"] == 463
    assert error_of(get(sandbox, "debug_token", token=f"{SANDBOX_APP_ID}|wrong"))["code"] == 190


def test_versions_are_echoed_and_malformed_ones_rejected(sandbox):
    response = requests.get(
        f"{sandbox.graph_url}/v26.0/me", timeout=5, params={"access_token": DEFAULT_PAGE_TOKEN}
    )
    assert response.headers["facebook-api-version"] == "v26.0"
    old = requests.get(
        f"{sandbox.graph_url}/v19.0/me", timeout=5, params={"access_token": DEFAULT_PAGE_TOKEN}
    )
    assert (
        old.headers["facebook-api-version"] == "v21.0" and "x-ad-api-version-warning" in old.headers
    )
    bad = requests.get(
        f"{sandbox.graph_url}/v24/me", timeout=5, params={"access_token": DEFAULT_PAGE_TOKEN}
    )
    assert bad.status_code == 400 and error_of(bad)["code"] == 100


def test_test_leads_one_per_form_and_delete(sandbox):
    url = f"{sandbox.graph_url}/v24.0/{HAIR}/test_leads"
    created = requests.post(url, data={"access_token": DEFAULT_PAGE_TOKEN}, timeout=5).json()
    listed = get(sandbox, f"{HAIR}/test_leads", fields="id,field_data,is_organic").json()["data"]
    assert [lead["id"] for lead in listed] == [created["id"]] and listed[0]["is_organic"] is True
    values = {f["name"]: f["values"][0] for f in listed[0]["field_data"]}
    assert values["full_name"] == "<test lead: dummy data for full_name>"
    assert values["email"] == "test@meta.com"
    again = requests.post(url, data={"access_token": DEFAULT_PAGE_TOKEN}, timeout=5)
    assert error_of(again)["code"] == 100
    lead_url = f"{sandbox.graph_url}/v24.0/{created['id']}"
    deleted = requests.delete(lead_url, params={"access_token": DEFAULT_PAGE_TOKEN}, timeout=5)
    assert deleted.json() == {"success": True}
    assert error_of(get(sandbox, created["id"]))["error_subcode"] == 33
    assert requests.post(url, data={"access_token": DEFAULT_PAGE_TOKEN}, timeout=5).ok


def test_subscribed_apps_need_page_token(sandbox):
    url = f"{sandbox.graph_url}/v24.0/{DEFAULT_PAGE_ID}/subscribed_apps"
    user = requests.get(url, params={"access_token": DEFAULT_USER_TOKEN}, timeout=5)
    assert user.status_code == 403 and error_of(user)["code"] == 210
    page = {"access_token": DEFAULT_PAGE_TOKEN}
    assert requests.get(url, params=page, timeout=5).json()["data"][0]["subscribed_fields"] == [
        "leadgen"
    ]
    assert requests.delete(url, params=page, timeout=5).json() == {"success": True}
    assert requests.get(url, params=page, timeout=5).json() == {"data": []}
    requests.post(url, data={**page, "subscribed_fields": "leadgen"}, timeout=5)
    assert sandbox.state.pages[DEFAULT_PAGE_ID].subscribed_fields == ["leadgen"]


def test_unknown_edges_and_methods(sandbox):
    edge = error_of(get(sandbox, f"{HAIR}/comments"))
    assert (
        edge["message"]
        == "(#100) Tried accessing nonexisting field (comments) on node type (LeadgenForm)"
    )
    lead_id = sandbox.state.leads_of(HAIR)[0]["id"]
    post = requests.post(
        f"{sandbox.graph_url}/v24.0/{lead_id}", timeout=5, data={"access_token": DEFAULT_PAGE_TOKEN}
    )
    assert error_of(post)["message"].startswith("Unsupported post request")
    assert sandbox.state.requests_log[-1][:2] == ("POST", f"/v24.0/{lead_id}")


# --- webhooks ------------------------------------------------------------------------------------


def signature_ok(headers: dict[str, str], body: bytes, secret: str = SANDBOX_APP_SECRET) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    legacy = "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    return hmac.compare_digest(headers["X-Hub-Signature-256"], expected) and hmac.compare_digest(
        headers["X-Hub-Signature"], legacy
    )


def send(sandbox, **body) -> dict:
    response = requests.post(f"{sandbox.control_url}/webhooks", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_webhook_is_signed_over_the_raw_body(sandbox, webhook_receiver):
    result = send(sandbox, url=webhook_receiver.url, count=3, form_id=IVF)
    assert result["statuses"] == [200]
    [(headers, body)] = webhook_receiver.received
    assert signature_ok(headers, body) and body.isascii()
    payload = json.loads(body)
    [entry] = payload["entry"]
    assert payload["object"] == "page" and entry["id"] == DEFAULT_PAGE_ID
    assert isinstance(entry["time"], int)
    values = [change["value"] for change in entry["changes"]]
    assert [v["leadgen_id"] for v in values] == result["leads"]
    assert all(v["form_id"] == IVF and isinstance(v["created_time"], int) for v in values)
    assert all(change["field"] == "leadgen" for change in entry["changes"])


def test_bad_signature_fails_verification_and_duplicate_sends_twice(sandbox, webhook_receiver):
    send(sandbox, url=webhook_receiver.url, bad_signature=True)
    send(sandbox, url=webhook_receiver.url, duplicate=True)
    (bad_headers, bad_body), first, second = webhook_receiver.received
    assert not signature_ok(bad_headers, bad_body)
    assert first[1] == second[1] and signature_ok(*first)


def test_large_batches_split_at_1000_changes(sandbox, webhook_receiver):
    result = send(sandbox, url=webhook_receiver.url, count=1500)
    assert result["statuses"] == [200, 200]
    changes = [
        c
        for _, body in webhook_receiver.received
        for e in json.loads(body)["entry"]
        for c in e["changes"]
    ]
    assert len(changes) == 1500
    assert sorted(c["value"]["leadgen_id"] for c in changes) == sorted(result["leads"])


def test_non_200_answers_are_retried(webhook_receiver):
    webhook_receiver.statuses[:] = [500, 503]
    lead = SandboxState(leads_per_form=1).leads_of(HAIR)[0]
    statuses = deliver_webhook(webhook_receiver.url, "s", [webhook_change(lead, DEFAULT_PAGE_ID)])
    assert statuses == [500, 503, 200]
    assert len({body for _, body in webhook_receiver.received}) == 1
    organic = {**lead, "is_organic": True}
    organic.pop("ad_id", None)
    assert "ad_id" not in webhook_change(organic, DEFAULT_PAGE_ID)["value"]
    two_pages = [webhook_change(lead, "1"), webhook_change(lead, "2")]
    deliver_webhook(webhook_receiver.url, "s", two_pages)
    assert [e["id"] for e in json.loads(webhook_receiver.received[-1][1])["entry"]] == ["1", "2"]


def test_app_subscription_runs_the_challenge_handshake(sandbox, webhook_receiver):
    url = f"{sandbox.graph_url}/v24.0/{SANDBOX_APP_ID}/subscriptions"
    form = {
        "access_token": APP_TOKEN,
        "object": "page",
        "callback_url": webhook_receiver.url,
        "fields": "leadgen",
        "verify_token": "wrong",
    }
    assert error_of(requests.post(url, data=form, timeout=10))["code"] == 2200
    assert sandbox.state.webhook_url is None
    form["verify_token"] = WEBHOOK_VERIFY_TOKEN
    assert requests.post(url, data=form, timeout=10).json() == {"success": True}
    assert sandbox.state.webhook_url == webhook_receiver.url
    listed = requests.get(url, params={"access_token": APP_TOKEN}, timeout=5).json()["data"]
    assert listed[0]["callback_url"] == webhook_receiver.url


def test_timer_adds_leads_and_delivers_them(sandbox, webhook_receiver):
    state = sandbox.state
    state.webhook_url = webhook_receiver.url
    seen: list[str] = []
    got_three = threading.Event()

    def on_lead(leads: list[dict]) -> None:
        seen.extend(lead["id"] for lead in leads)
        if len(seen) >= 3:
            got_three.set()

    stop = start_lead_timer(state, 0.02, on_lead=on_lead)
    try:
        assert got_three.wait(5)
    finally:
        stop()
    total = sum(len(state.leads_of(form_id)) for form_id in state.form_ids())
    assert total == 120 + len(seen)
    assert {state.get_lead(i)["form_id"] for i in seen[:3]} == {HAIR, DENTAL, IVF}  # round robin
    delivered = webhook_receiver.wait_for(len(seen))
    ids = [
        json.loads(body)["entry"][0]["changes"][0]["value"]["leadgen_id"] for _, body in delivered
    ]
    assert ids == seen and all(signature_ok(h, b) for h, b in delivered)
    time.sleep(0.1)
    assert sum(len(state.leads_of(f)) for f in state.form_ids()) == total  # stopped


# --- control API, mounting, generated data -------------------------------------------------------


def test_control_api(sandbox):
    control = sandbox.control_url
    added = requests.post(f"{control}/leads", json={"form_id": DENTAL, "count": 3}, timeout=5)
    new_ids = added.json()["leads"]
    newest = get(sandbox, f"{DENTAL}/leads", limit=3).json()["data"]
    assert {lead["id"] for lead in newest} == set(new_ids)
    requests.post(f"{control}/bulk", json={"form_id": IVF, "count": 500}, timeout=5)
    fault = {"code": 80005, "regain_minutes": 3, "path_contains": "/leads"}
    assert requests.post(f"{control}/faults", json=fault, timeout=5).json() == {"faults": 1}
    state = requests.get(f"{control}/state", timeout=5).json()
    counts = {f["id"]: f["leads_count"] for f in state["pages"][0]["forms"]}
    assert counts == {HAIR: 40, DENTAL: 43, IVF: 540} and state["faults"] == 1
    assert requests.post(f"{control}/reset", timeout=5).json() == {"ok": True}
    assert len(sandbox.state.leads_of(IVF)) == 40 and not sandbox.state.faults
    for path, body in [
        ("leads", {"count": 50_001}),
        ("leads", {"form_id": "nope"}),
        ("bulk", {"form_id": HAIR}),
        ("faults", {"code": "x"}),
        ("faults", {"code": 4, "colour": 1}),
        ("webhooks", {"url": "ftp://x"}),
    ]:
        response = requests.post(f"{control}/{path}", json=body, timeout=5)
        assert response.status_code == 400 and "error" in response.json(), (path, body)
    broken = requests.post(
        f"{control}/leads", data="{nope", timeout=5, headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400


def test_init_sandbox_exempts_csrf_and_works_under_any_prefix():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="x", WTF_CSRF_ENABLED=True)
    CSRFProtect(app)
    state = init_sandbox(app)
    app.register_blueprint(bp, url_prefix="/elsewhere/graph", name="graph_again")
    client = app.test_client()
    assert client.post("/_sandbox/control/leads", json={"count": 2}).status_code == 200
    assert app.extensions["meta_sandbox"] is state
    query = {"access_token": DEFAULT_PAGE_TOKEN, "limit": 2}
    body = client.get(f"/elsewhere/graph/v24.0/{HAIR}/leads", query_string=query).get_json()
    assert body["paging"]["next"].startswith(
        f"http://localhost/elsewhere/graph/v24.0/{HAIR}/leads?"
    )


def test_generated_leads_are_deterministic_messy_and_realistic():
    first, second = SandboxState(seed=3, now=lambda: NOW), SandboxState(seed=3, now=lambda: NOW)
    assert first.leads_of(HAIR) == second.leads_of(HAIR)
    assert SandboxState(seed=4, now=lambda: NOW).leads_of(HAIR) != first.leads_of(HAIR)
    state = SandboxState(seed=11, leads_per_form=400, now=lambda: NOW)
    leads = [lead for form_id in state.form_ids() for lead in state.leads_of(form_id)]
    assert all(
        re.fullmatch(r"\d{15,17}", lead["id"]) and TIME_RE.match(lead["created_time"])
        for lead in leads
    )
    oldest = min(datetime.strptime(lead["created_time"], "%Y-%m-%dT%H:%M:%S%z") for lead in leads)
    assert NOW - timedelta(days=30) <= oldest
    assert 0.04 < sum(lead["is_organic"] for lead in leads) / len(leads) < 0.14
    assert {lead["platform"] for lead in leads} == {"fb", "ig"}
    assert {lead["custom_disclaimer_responses"][0]["is_checked"] for lead in leads} == {"1", ""}
    entries = [entry for lead in leads for entry in lead["field_data"]]
    values = [v for entry in entries for v in entry.get("values", [])]
    assert any("values" not in entry for entry in entries)
    assert any(v in HOSTILE_VALUES for v in values) and any(len(v) >= 3000 for v in values)
    assert any(re.search("[\u0600-\u06ff]", v) for v in values)  # Arabic/Persian script
    assert any(v.startswith("+90") for v in values) and any(v.startswith("0049") for v in values)
    phones = [e["values"][0] for e in entries if e["name"] == "phone_number" and e.get("values")]
    assert len(phones) - len(set(phones)) >= 5  # re-inquiries reuse a phone number
    dental = state.leads_of(DENTAL)
    dobs = [
        e["values"][0]
        for lead in dental
        for e in lead["field_data"]
        if e["name"] == "date_of_birth" and e.get("values")
    ]
    assert {
        bool(re.fullmatch(p, d)) for p in (r"\d{4}-\d\d-\d\d", r"\d\d\.\d\d\.\d{4}") for d in dobs
    } == {True, False}


def test_ten_thousand_leads_page_in_exactly_100_pages_of_100(sandbox_factory):
    # Speed is measured in bench/ingest.py, not asserted here.
    server = sandbox_factory(leads_per_form=0)
    server.state.add_bulk(HAIR, 10_000)
    leads, pagings = walk(server, f"{HAIR}/leads", limit=100, fields="id,created_time,field_data")
    assert len(pagings) == 100 and len({lead["id"] for lead in leads}) == 10_000


def test_oauth_exchange_returns_a_long_lived_user_token(sandbox):
    params = {
        "grant_type": "fb_exchange_token",
        "client_id": SANDBOX_APP_ID,
        "client_secret": SANDBOX_APP_SECRET,
        "fb_exchange_token": DEFAULT_USER_TOKEN,
    }
    body = get(sandbox, "oauth/access_token", token=None, **params).json()
    assert body == {
        "access_token": DEFAULT_USER_TOKEN,
        "token_type": "bearer",
        "expires_in": 5183944,
    }
    wrong = get(sandbox, "oauth/access_token", token=None, **{**params, "client_secret": "x"})
    assert wrong.status_code == 400 and error_of(wrong)["code"] == 1
    assert error_of(get(sandbox, "me", token=APP_TOKEN))["code"] == 2500
