"""Graph handlers for object nodes (page, form, lead, ad) and the leads / leadgen_forms edges."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Response

from . import graph_account as account
from .calls import Call, json_response, paging_block, parse_limit
from .faults import GraphAPIError, unknown_object
from .fields import (
    FORM_DEFAULT,
    FORM_FIELDS,
    LEAD_DEFAULT,
    LEAD_FIELDS,
    PAGE_FIELDS,
    cursor_param,
    nonexisting_field,
    parse_filtering,
    requested_fields,
)
from .forms import SandboxForm
from .index import LeadIndex
from .util import parse_graph_time

NODE_TYPES = {"page": "Page", "form": "LeadgenForm", "lead": "Lead", "ad": "Ad"}
Handler = Callable[[Call, str], Response]


def dispatch(call: Call) -> Response:
    """Route /{node}[/{edge}] to a handler; unknown or invisible ids get Meta's 100/33."""
    parts = call.parts
    if not parts or len(parts) > 2 or not parts[0]:
        raise GraphAPIError(100, "(#100) Unknown path components: /" + "/".join(parts))
    special = account.special_route(call)
    if special is not None:
        return special
    node = parts[0]
    owner = call.state.owner_of(node)
    if owner is None or not _visible(call, owner[1]):
        raise unknown_object(node, call.method)
    edge = parts[1] if len(parts) == 2 else ""
    handler = HANDLERS.get((owner[0], edge, call.method))
    if handler is not None:
        return handler(call, node)
    if edge and not any(key[:2] == (owner[0], edge) for key in HANDLERS):
        raise nonexisting_field(edge, NODE_TYPES[owner[0]])
    raise unknown_object(node, call.method)


def _visible(call: Call, page_id: str) -> bool:
    """A user token sees every page; a page token sees its own page only; app tokens none."""
    return call.info is not None and (call.info.kind == "USER" or call.info.page_id == page_id)


def leads_edge(call: Call, node: str) -> Response:
    """GET /{form-or-ad}/leads: newest first, cursors, filtering, fields; body from a cache."""
    fields = requested_fields(call.params, LEAD_FIELDS, LEAD_DEFAULT, "Lead")
    limit = parse_limit(call.params)
    window = parse_filtering(call.params.get("filtering"))
    cursors = (cursor_param(call.params, "after"), cursor_param(call.params, "before"))
    page = call.state.page_leads(node, window, limit, cursors)
    fragments = call.state.serialize(page.leads, fields)
    paging = paging_block(call, page, limit)
    tail = "" if paging is None else ',"paging":' + json.dumps(paging, separators=(",", ":"))
    return json_response('{"data":[' + ",".join(fragments) + "]" + tail + "}")


def get_lead(call: Call, node: str) -> Response:
    fields = requested_fields(call.params, LEAD_FIELDS, LEAD_DEFAULT, "Lead")
    lead = call.state.get_lead(node)
    if lead is None:  # deleted meanwhile
        raise unknown_object(node)
    return json_response(call.state.serialize([lead], fields)[0])


def delete_lead(call: Call, node: str) -> Response:
    if not call.state.delete_lead(node):
        raise unknown_object(node, "delete")
    return json_response({"success": True})


def form_object(call: Call, form: SandboxForm, fields: tuple[str, ...]) -> dict[str, Any]:
    leads_count, organic = call.state.counts(form.id)
    page = call.state.pages[form.page_id]
    values: dict[str, Any] = {
        "id": form.id,
        "name": form.name,
        "status": form.status,
        "locale": form.locale,
        "created_time": form.created_time,
        "leads_count": leads_count,
        "organic_leads_count": organic,
        "expired_leads_count": 0,
        "questions": form.questions,
        "page": {"id": page.id, "name": page.name},
        "page_id": page.id,
        "privacy_policy_url": "https://mshmedtour.example/privacy",
        "follow_up_action_url": "https://mshmedtour.example/thank-you",
        "allow_organic_lead": True,
        "is_optimized_for_quality": False,
    }
    return {name: values[name] for name in fields if name in values}


def get_form(call: Call, node: str) -> Response:
    fields = requested_fields(call.params, FORM_FIELDS, FORM_DEFAULT, "LeadgenForm")
    return json_response(form_object(call, call.state.forms[node], fields))


def forms_edge(call: Call, node: str) -> Response:
    """GET /{page}/leadgen_forms: newest form first, same cursor scheme as leads."""
    fields = requested_fields(call.params, FORM_FIELDS, FORM_DEFAULT, "LeadgenForm")
    limit = parse_limit(call.params)
    index = LeadIndex()
    index.extend(
        [
            ((parse_graph_time(form.created_time), int(form.id)), form_object(call, form, fields))
            for form in call.state.pages[node].forms.values()
        ]
    )
    bounds = (0, len(index))
    page = index.page(
        bounds,
        limit,
        after=cursor_param(call.params, "after"),
        before=cursor_param(call.params, "before"),
    )
    body: dict[str, Any] = {"data": page.leads}
    paging = paging_block(call, page, limit)
    if paging is not None:
        body["paging"] = paging
    return json_response(body)


def get_page(call: Call, node: str) -> Response:
    fields = requested_fields(call.params, PAGE_FIELDS, ("id", "name"), "Page")
    return json_response(account.page_object(call, node, fields))


def get_ad(call: Call, node: str) -> Response:
    ad = call.state.ad(node)
    return json_response(
        {"id": ad.ad_id, "name": ad.ad_name, "adset_id": ad.adset_id, "campaign_id": ad.campaign_id}
    )


HANDLERS: dict[tuple[str, str, str], Handler] = {
    ("page", "", "GET"): get_page,
    ("form", "", "GET"): get_form,
    ("lead", "", "GET"): get_lead,
    ("lead", "", "DELETE"): delete_lead,
    ("ad", "", "GET"): get_ad,
    ("form", "leads", "GET"): leads_edge,
    ("ad", "leads", "GET"): leads_edge,
    ("page", "leadgen_forms", "GET"): forms_edge,
    ("form", "test_leads", "GET"): account.list_test_leads,
    ("form", "test_leads", "POST"): account.create_test_lead,
    ("page", "subscribed_apps", "GET"): account.subscribed_apps,
    ("page", "subscribed_apps", "POST"): account.subscribed_apps,
    ("page", "subscribed_apps", "DELETE"): account.subscribed_apps,
}
