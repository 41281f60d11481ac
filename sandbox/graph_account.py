"""Graph handlers around tokens and apps: /me, /me/accounts, /debug_token, /oauth/access_token,
/{app}/subscriptions, /{page}/subscribed_apps and /{form}/test_leads."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

from .calls import Call, json_response
from .faults import GraphAPIError, default_message, unknown_object
from .fields import LEAD_DEFAULT, LEAD_FIELDS, PAGE_FIELDS, requested_fields
from .generator import DAY
from .state import SandboxState
from .util import to_unix
from .webhooks import verify_callback

SCOPES = [
    "leads_retrieval",
    "pages_show_list",
    "pages_manage_ads",
    "pages_read_engagement",
    "pages_manage_metadata",
    "ads_management",
]
LONG_LIVED_S = 5_183_944


def special_route(call: Call) -> Response | None:
    """Paths that are not object ids; None lets the node dispatcher handle the call."""
    parts, method = call.parts, call.method
    if parts == ["me"] and method == "GET":
        return me(call)
    if parts == ["me", "accounts"] and method == "GET":
        return accounts(call)
    if parts == ["debug_token"] and method == "GET":
        return debug_token(call)
    if parts == ["oauth", "access_token"] and method == "GET":
        return exchange_token(call)
    if parts[0] == call.state.app_id:
        return app_node(call)
    return None


def me(call: Call) -> Response:
    info = call.info
    if info is None or info.kind == "APP":
        raise GraphAPIError(
            2500, "An active access token must be used to query information about the current user."
        )
    if info.kind == "PAGE" and info.page_id is not None:
        page = call.state.pages[info.page_id]
        return json_response({"id": page.id, "name": page.name})
    return json_response({"id": call.state.user_id, "name": "Sandbox Admin"})


def accounts(call: Call) -> Response:
    """The user's Pages with their tokens. A page token gets just its own Page (lenient)."""
    fields = requested_fields(
        call.params, PAGE_FIELDS, ("id", "name", "access_token", "category", "tasks"), "Page"
    )
    info = call.info
    if info is None or info.kind == "APP":
        raise GraphAPIError(100, "(#100) Tried accessing nonexisting field (accounts)")
    page_ids = list(call.state.pages) if info.kind == "USER" else [info.page_id]
    return json_response({"data": [page_object(call, pid, fields) for pid in page_ids if pid]})


def page_object(call: Call, page_id: str, fields: tuple[str, ...]) -> dict[str, Any]:
    page = call.state.pages[page_id]
    values: dict[str, Any] = {
        "id": page.id,
        "name": page.name,
        "category": page.category,
        "category_list": [{"id": "2214", "name": page.category}],
        "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
    }
    if call.info is not None and call.info.kind in ("USER", "PAGE"):
        values["access_token"] = page.access_token
    return {name: values[name] for name in fields if name in values}


def token_data(state: SandboxState, token: str) -> dict[str, Any]:
    """The §5.3 `data` object for *token* (is_valid false with an error when dead)."""
    info = state.token_info(token)
    if info is None:
        return {
            "error": {
                "code": 190,
                "message": "Invalid OAuth access token - Cannot parse access token",
            },
            "is_valid": False,
            "scopes": [],
        }
    now = to_unix(state.clock())
    data: dict[str, Any] = {
        "app_id": state.app_id,
        "type": info.kind,
        "application": state.app_name,
        "data_access_expires_at": now + 90 * DAY,
        "expires_at": now + 60 * DAY if info.kind == "USER" else 0,
        "is_valid": True,
        "issued_at": now - 7 * DAY,
        "scopes": SCOPES,
        "granular_scopes": [{"scope": "pages_show_list", "target_ids": list(state.pages)}],
        "user_id": state.user_id,
    }
    if info.kind == "PAGE":
        data["profile_id"] = info.page_id
    if info.kind == "APP":
        data.update(scopes=[], granular_scopes=[])
        del data["user_id"]
    if info.revoked_subcode is not None:
        subcode = info.revoked_subcode
        data["is_valid"] = False
        data["error"] = {"code": 190, "message": default_message(190, subcode), "subcode": subcode}
    return data


def debug_token(call: Call) -> Response:
    input_token = call.params.get("input_token")
    if not input_token:
        raise GraphAPIError(100, "(#100) The parameter input_token is required")
    return json_response({"data": token_data(call.state, input_token)})


def exchange_token(call: Call) -> Response:
    """fb_exchange_token: a valid user token comes back as the (already) long-lived user token."""
    state, params = call.state, call.params
    if params.get("client_id") != state.app_id:
        raise GraphAPIError(101, "Error validating application. Invalid application ID.")
    if not state.app_secret or params.get("client_secret") != state.app_secret:
        raise GraphAPIError(1, "Error validating client secret.", status=400)
    info = state.token_info(params.get("fb_exchange_token", ""))
    if info is None or info.kind != "USER" or info.revoked_subcode is not None:
        raise GraphAPIError(190, "Invalid OAuth access token - Cannot parse access token")
    body = {"access_token": state.user_token, "token_type": "bearer", "expires_in": LONG_LIVED_S}
    return json_response(body)


def app_node(call: Call) -> Response:
    """GET /{app-id} and the app-level webhook subscription (needs the app token)."""
    state = call.state
    if call.parts == [state.app_id] and call.method == "GET":
        return json_response({"id": state.app_id, "name": state.app_name})
    if call.parts != [state.app_id, "subscriptions"]:
        raise unknown_object(call.parts[0], call.method)
    if call.info is None or call.info.kind != "APP":
        raise GraphAPIError(15, "(#15) This method must be called with an app access_token.")
    if call.method == "POST":
        return _subscribe_app(call)
    if call.method == "DELETE":
        state.webhook_url = None
        return json_response({"success": True})
    data = []
    if state.webhook_url:
        data.append(
            {
                "object": "page",
                "callback_url": state.webhook_url,
                "active": True,
                "fields": [{"name": "leadgen", "version": call.version}],
            }
        )
    return json_response({"data": data})


def _subscribe_app(call: Call) -> Response:
    """Meta sends the hub.challenge GET first; only a correct echo saves the callback."""
    url = call.params.get("callback_url", "")
    verify_token = call.params.get("verify_token", "")
    if call.params.get("object", "page") != "page" or not url.startswith(("http://", "https://")):
        raise GraphAPIError(100, "(#100) object=page and an http(s) callback_url are required")
    ok, detail = verify_callback(url, verify_token)
    if not ok:
        raise GraphAPIError(
            2200, f"(#2200) Callback verification failed with the following errors: {detail}"
        )
    call.state.webhook_url = url
    call.state.webhook_verify_token = verify_token
    return json_response({"success": True})


def subscribed_apps(call: Call, node: str) -> Response:
    """GET/POST/DELETE /{page}/subscribed_apps; needs that Page's own token (else #210)."""
    if call.info is None or call.info.kind != "PAGE":
        raise GraphAPIError(210, "(#210) This call requires a Page access token.")
    page = call.state.pages[node]
    if call.method == "POST":
        raw = call.params.get("subscribed_fields", "")
        fields = [name.strip() for name in raw.split(",") if name.strip()]
        if not fields:
            raise GraphAPIError(100, "(#100) The parameter subscribed_fields is required")
        page.subscribed_fields = fields
        return json_response({"success": True})
    if call.method == "DELETE":
        page.subscribed_fields = []
        return json_response({"success": True})
    if not page.subscribed_fields:
        return json_response({"data": []})
    entry = {
        "id": call.state.app_id,
        "name": call.state.app_name,
        "subscribed_fields": page.subscribed_fields,
    }
    return json_response({"data": [entry]})


def list_test_leads(call: Call, node: str) -> Response:
    fields = requested_fields(call.params, LEAD_FIELDS, LEAD_DEFAULT, "Lead")
    leads = call.state.test_leads_of(node)
    return json_response('{"data":[' + ",".join(call.state.serialize(leads, fields)) + "]}")


def create_test_lead(call: Call, node: str) -> Response:
    """POST /{form}/test_leads: Meta's dummy lead, or the given field_data JSON; one per form."""
    field_data = None
    raw = call.params.get("field_data")
    if raw:
        try:
            field_data = json.loads(raw)
        except ValueError:
            raise GraphAPIError(100, "(#100) param field_data must be a JSON array") from None
        if not isinstance(field_data, list) or not all(isinstance(e, dict) for e in field_data):
            raise GraphAPIError(100, "(#100) param field_data must be a JSON array of objects")
    try:
        lead = call.state.create_test_lead(node, field_data)
    except ValueError:
        raise GraphAPIError(
            100, "(#100) This form already has a test lead. Delete it before creating another."
        ) from None
    return json_response({"id": lead["id"]})
