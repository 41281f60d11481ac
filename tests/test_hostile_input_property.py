"""Property: no route answers 5xx, whatever it is sent. Hypothesis draws a registered route
and method, ids for its URL, hostile and random query parameters, and a form or JSON body
with the field names the app reads (and others); each role sends it, on SQLite and PostgreSQL.

The example count is kept modest (EXAMPLES per role) so a run takes seconds per database;
HOSTILE_EXAMPLES=2000 explores further. A failure prints the request, shrunk to a small one."""

import os
import threading
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db, login_manager
from app.models import FailedLead, MetaWebhookEvent, Role, User, WebhookEventStatus
from app.services import meta_configs, user_sessions
from app.services.routing import rules
from tests import factories

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "200"))
ROLES = ("anonymous", "staff", "superadmin")
SKIPPED_PREFIXES = ("/static", "/_sandbox/")
PARAMS = [
    *("page", "per_page", "limit", "status", "assignee", "distributor", "score_min"),
    *("score_max", "service", "platform", "date_from", "date_to", "q", "duplicates", "test"),
    *("sort", "next", "lang", "ids", "columns", "form", "campaign", "country", "consent"),
    *("deleted", "hub.mode", "hub.verify_token", "hub.challenge"),
]
FIELDS = [
    *("status", "note", "version_id", "user_id", "user_ids", "interaction_type"),
    *("description", "result", "username", "password", "confirm", "name", "contact_email"),
    *("email", "role", "distributor_id", "page_id", "token", "graph_version", "interval"),
    *("is_active", "form_id", "next", "submit", "lead_id", "other_id", "action", "filter"),
    *("first_name", "last_name", "phone", "country", "city", "service", "notes", "source"),
]
HOSTILE = [
    *("\x00", "a\x00b", "%00", "0001-01-01", "9999-12-31", "2024-02-30", "-1", "0"),
    *(str(10**20), str(10**30), str(2**31), str(2**63), f"-{2**63}", "1e309", "NaN"),
    *("²", "٣", "１２", "Infinity", "", " ", "' OR 1=1 --", "<script>alert(1)</script>"),
    *("../../etc/passwd", "{{7*7}}", "%s%s%n", "\u202e", "null", "[]", "a" * 3000),
    *("new,contacted", "none", "me", "https://evil.example", "//evil.example", "\r\nX: y"),
]
text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.integers().map(str),
    st.from_regex(r"-?[0-9]{1,40}", fullmatch=True),
)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS), inner),
    max_leaves=8,
)
names = st.one_of(st.sampled_from(PARAMS + FIELDS), st.text(min_size=1, max_size=12))


def routes(app) -> list[tuple[str, str, list[str]]]:
    """(rule, method, URL argument names) for every route the app serves."""
    return sorted(
        (rule.rule, method, sorted(rule.arguments))
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.rule.startswith(SKIPPED_PREFIXES)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    )


def seed(app) -> dict[str, Any]:
    """Users of each role (plus one for admin pages to act on), a lead, a Meta config."""
    with app.app_context():
        admin = factories.make_user("admin", role=Role.SUPERADMIN)
        staff = factories.make_user("ayse")
        victim = factories.make_user("victim")
        distributor = factories.make_distributor()
        lead = factories.make_lead(assigned_to_id=staff.id)
        config = meta_configs.add_config(distributor, page_id="1", form_ids=["2"], token="t" * 20)
        failed = FailedLead(config_id=config.id, payload={"field_data": []}, reason="no id")
        event = MetaWebhookEvent(leadgen_id="77", payload={}, status=WebhookEventStatus.FAILED)
        db.session.add_all([failed, event])
        rule = rules.create_rule(rules.RuleInput(name="Fuzzed", staff_ids=[staff.id]))
        db.session.commit()
        return {
            "users": {"superadmin": admin.id, "staff": staff.id},
            "args": {
                "lead_id": lead.id,
                "rule_id": rule.id,
                "user_id": victim.id,
                "distributor_id": distributor.id,
                "config_id": config.id,
                "failed_id": failed.id,
                "event_id": event.id,
            },
        }


@st.composite
def hostile_requests(draw, app, known: dict[str, int]) -> dict[str, Any]:
    rule, method, arguments = draw(st.sampled_from(routes(app)))
    ids = st.integers(0, 2**70)  # a URL argument seed() does not know gets random ids only
    values = {
        name: draw(st.one_of(st.just(known[name]), ids) if name in known else ids)
        for name in arguments
    }
    path = app.url_map.bind("localhost").build(endpoint_of(app, rule), values)
    request = {
        "method": method,
        "path": path,
        "query_string": draw(st.dictionaries(names, text, max_size=5)),
    }
    body = draw(st.sampled_from(["none", "form", "json", "json_any"]))
    if method != "GET" and body == "form":
        request["data"] = draw(st.dictionaries(names, text, max_size=6))
    elif method != "GET" and body == "json":
        request["json"] = draw(st.dictionaries(st.sampled_from(FIELDS), json_value, max_size=6))
    elif method != "GET" and body == "json_any":
        request["json"] = draw(json_value)
    return request


def endpoint_of(app, rule: str) -> str:
    return next(r.endpoint for r in app.url_map.iter_rules() if r.rule == rule)


def client_as(app, role: str, user_ids: dict[str, int]):
    """A client signed in as *role* through a fresh sign-in (no password hashing per example)."""
    client = app.test_client()
    if role == "anonymous":
        return client
    with app.app_context():
        db.session.execute(sa.update(User).values(is_active=True))  # undo a fuzzed deactivation
        user = db.session.get(User, user_ids[role])
        key = user_sessions.start_session(user, user_agent=None, max_age=timedelta(hours=1))
        db.session.commit()
    # As login_user() would write it, with Flask-Login's identifier of this client's address
    # and user agent (its "strong" protection drops a session without the right one).
    with app.test_request_context(environ_base=client.environ_base):
        identifier = login_manager._session_identifier_generator()
    with client.session_transaction() as sess:
        sess.update({"_user_id": key, "_fresh": True, "_id": identifier})
    return client


@pytest.fixture
def app_config():
    # Meta is a closed port here: discovery, tests and syncs fail fast, as Meta being down would.
    return {"META_GRAPH_URL": "http://127.0.0.1:9", "META_MAX_RETRIES": 0}


@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_5xx_to_hostile_input(app, role):
    known = seed(app)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(hostile_requests(app, known["args"]))
    def no_5xx(request):
        response = client_as(app, role, known["users"]).open(**request)
        assert response.status_code < 500, request

    try:
        no_5xx()
    finally:  # "Sync now" runs in a thread: let it finish before the schema goes
        for thread in threading.enumerate():
            if thread.name.startswith("sync-now-"):
                thread.join(timeout=30)
