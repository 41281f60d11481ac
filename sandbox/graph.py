"""The fake Graph API blueprint: version check, faults, tokens, proof, headers, dispatch."""

from __future__ import annotations

import hmac
import json
import logging
import re
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, request

from .calls import JSON_TYPE, Call
from .faults import BUC_TYPES, NOT_JSON, THROTTLE_CODES, Fault, GraphAPIError
from .graph_nodes import dispatch
from .state import DEFAULT_PAGE_ID, SandboxState, TokenInfo
from .util import appsecret_proof, trace_id

log = logging.getLogger(__name__)

bp = Blueprint("meta_sandbox_graph", __name__)

VERSION_RE = re.compile(r"^v(\d+)\.(\d+)$")
NO_AUTH_ROUTES = frozenset({("oauth", "access_token")})


def current_state() -> SandboxState:
    return current_app.extensions["meta_sandbox"]


@bp.route("/<path:path>", methods=["GET", "POST", "DELETE"])
def graph(path: str) -> Response:
    state = current_state()
    params = {**request.args.to_dict(), **request.form.to_dict()}
    token = _request_token(params)
    graph_path = "/" + path.strip("/")
    state.record_request(request.method, graph_path, params)
    parts = graph_path.strip("/").split("/")
    g.sandbox = {"state": state, "version": state.min_version, "page_id": None, "path": graph_path}
    version = _check_version(state, parts[0])
    fault = state.take_fault(graph_path, token)
    if fault is not None:
        early = _apply_fault(fault)
        if early is not None:
            return early
    info = None
    if tuple(parts[1:]) not in NO_AUTH_ROUTES:
        info = _authenticate(state, token, params)
        g.sandbox["page_id"] = info.page_id
    call = Call(state, request.method, version, parts[1:], params, token, info)
    return dispatch(call)


def _request_token(params: dict[str, str]) -> str | None:
    if params.get("access_token"):
        return params["access_token"]
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value.strip():
        return value.strip()
    return None


def _version_tuple(version: str) -> tuple[int, int]:
    match = VERSION_RE.match(version)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def _check_version(state: SandboxState, segment: str) -> str:
    """Accept any vNN.N; versions below min_version are served as min_version (with a warning)."""
    if not VERSION_RE.match(segment):
        raise GraphAPIError(100, f"(#100) Unknown path components: /{segment} (expected vNN.0)")
    if _version_tuple(segment) >= _version_tuple(state.min_version):
        g.sandbox["version"] = segment
        return segment
    if state.strict_versions:
        raise GraphAPIError.prefixed(2635)
    g.sandbox["warning"] = True
    return state.min_version


def _apply_fault(fault: Fault) -> Response | None:
    """Sleep for slow faults (outside the lock), then fail or let the request continue."""
    if fault.delay_s:
        time.sleep(fault.delay_s)
    if fault.code == NOT_JSON:
        html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
        return Response(html, 502, mimetype="text/html")
    error = fault.error()
    if error is not None:
        log.info("sandbox fault %s/%s on %s", fault.code, fault.subcode, g.sandbox["path"])
        raise error
    return None


def _authenticate(state: SandboxState, token: str | None, params: dict[str, str]) -> TokenInfo:
    """104 without a token, 190 for unknown/revoked ones, 100 for a missing/wrong proof."""
    if not token:
        raise GraphAPIError(104, "An access token is required to request this resource.")
    info = state.token_info(token)
    if info is None:
        raise GraphAPIError(
            190, "Invalid OAuth access token - Cannot parse access token", subcode=467
        )
    if info.revoked_subcode is not None:
        raise GraphAPIError(190, subcode=info.revoked_subcode)
    proof = params.get("appsecret_proof")
    if state.app_secret and (proof is not None or state.require_proof):
        if not proof:
            raise GraphAPIError(
                100, "API calls from the server require an appsecret_proof argument"
            )
        expected = appsecret_proof(state.app_secret, token, params.get("appsecret_time"))
        if not hmac.compare_digest(proof.lower(), expected):
            raise GraphAPIError(100, "Invalid appsecret_proof provided in the API argument")
    return info


@bp.errorhandler(GraphAPIError)
def _graph_error(error: GraphAPIError) -> Response:
    headers = error.headers()
    if error.code in THROTTLE_CODES:
        g.sandbox["throttled"] = error
    return Response(json.dumps(error.envelope()), error.status, headers, content_type=JSON_TYPE)


@bp.after_request
def _usage_headers(response: Response) -> Response:
    """Meta's version/trace headers and the usage headers on every Graph response."""
    info = getattr(g, "sandbox", None)
    if info is None:
        return response
    state: SandboxState = info["state"]
    throttled: GraphAPIError | None = info.get("throttled")
    response.headers["facebook-api-version"] = info["version"]
    response.headers["x-fb-request-id"] = trace_id()
    response.headers["x-fb-trace-id"] = trace_id()[:11]
    response.headers["x-fb-debug"] = trace_id() + trace_id()
    if info.get("warning"):
        response.headers["x-ad-api-version-warning"] = (
            "You are calling a deprecated version of the Ads API. Please update to the latest "
            f"version: {state.min_version}."
        )
    app_throttled = throttled is not None and throttled.code == 4
    response.headers["X-App-Usage"] = json.dumps(state.app_usage(app_throttled))
    business_id = info["page_id"] or (DEFAULT_PAGE_ID if throttled else None)
    if business_id:
        buc = _buc(state, info["path"], throttled)
        response.headers["X-Business-Use-Case-Usage"] = json.dumps({business_id: [buc]})
    return response


def _buc(state: SandboxState, path: str, throttled: GraphAPIError | None) -> dict[str, Any]:
    """One X-Business-Use-Case-Usage entry; call_count 100 and regain minutes when throttled."""
    kind = "leadgen" if "lead" in path else "pages"
    usage = state.app_usage()
    entry: dict[str, Any] = {
        "type": BUC_TYPES.get(throttled.code, kind) if throttled else kind,
        "call_count": 100 if throttled else usage["call_count"],
        "total_cputime": usage["total_cputime"],
        "total_time": usage["total_time"],
        "estimated_time_to_regain_access": throttled.regain_minutes if throttled else 0,
    }
    if entry["type"].startswith("ads_"):
        entry["ads_api_access_tier"] = "standard_access"
    return entry
