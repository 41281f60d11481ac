"""JSON control API for tests and the demo: add leads, inject faults, reset, send webhooks."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from .state import SandboxState
from .webhooks import deliver_leads

log = logging.getLogger(__name__)

control_bp = Blueprint("meta_sandbox_control", __name__)

MAX_COUNT = 50_000
MAX_WEBHOOK_COUNT = 5_000
FAULT_FIELDS: dict[str, tuple[type, ...]] = {
    "code": (int,),
    "subcode": (int, type(None)),
    "times": (int,),
    "after": (int,),
    "path_contains": (str, type(None)),
    "token": (str, type(None)),
    "delay_s": (int, float),
    "regain_minutes": (int,),
}


class ControlInputError(ValueError):
    """Invalid control input; answered as 400 {"error": message}."""


@control_bp.errorhandler(ControlInputError)
def _bad_request(error: ControlInputError) -> tuple[Response, int]:
    return jsonify(error=str(error)), 400


def _state() -> SandboxState:
    return current_app.extensions["meta_sandbox"]


def _body() -> dict[str, Any]:
    if not request.get_data():
        return {}
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ControlInputError("body must be a JSON object")
    return payload


def _count(body: dict[str, Any], default: int | None, cap: int) -> int:
    count = body.get("count", default)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= cap:
        raise ControlInputError(f"count must be an integer between 1 and {cap}")
    return count


def _form_id(body: dict[str, Any], required: bool = False) -> str | None:
    form_id = body.get("form_id")
    if form_id is None and not required:
        return None
    if not isinstance(form_id, str) or form_id not in _state().forms:
        raise ControlInputError("unknown form_id")
    return form_id


@control_bp.post("/leads")
def add_leads() -> Response:
    body = _body()
    leads = _state().add_leads(_form_id(body), _count(body, 1, MAX_COUNT))
    return jsonify(leads=[lead["id"] for lead in leads])


@control_bp.post("/bulk")
def add_bulk() -> Response:
    body = _body()
    form_id = _form_id(body, required=True)
    count = _count(body, None, MAX_COUNT)
    spread = body.get("spread_days", 30)
    if isinstance(spread, bool) or not isinstance(spread, int | float) or not 0 < spread <= 365:
        raise ControlInputError("spread_days must be a number in (0, 365]")
    _state().add_bulk(form_id, count, spread_days=spread)
    return jsonify(form_id=form_id, added=count, total=_state().counts(form_id)[0])


@control_bp.post("/faults")
def add_fault() -> Response:
    body = _body()
    unknown = set(body) - set(FAULT_FIELDS)
    if unknown or "code" not in body:
        raise ControlInputError(f"need 'code'; unknown keys: {sorted(unknown)}")
    for key, value in body.items():
        if isinstance(value, bool) or not isinstance(value, FAULT_FIELDS[key]):
            raise ControlInputError(f"bad type for {key}")
    try:
        _state().inject_fault(**body)
    except ValueError as exc:
        raise ControlInputError(str(exc)) from None
    return jsonify(faults=len(_state().faults))


@control_bp.delete("/faults")
def clear_faults() -> Response:
    _state().clear_faults()
    return jsonify(faults=0)


@control_bp.post("/reset")
def reset() -> Response:
    _state().reset()
    return jsonify(ok=True)


@control_bp.get("/state")
def describe() -> Response:
    state = _state()
    pages = []
    for page in list(state.pages.values()):
        forms = [
            {"id": form.id, "name": form.name, "leads_count": state.counts(form.id)[0]}
            for form in page.forms.values()
        ]
        pages.append(
            {
                "id": page.id,
                "name": page.name,
                "subscribed_fields": page.subscribed_fields,
                "forms": forms,
            }
        )
    return jsonify(
        pages=pages,
        faults=len(state.faults),
        webhook_url=state.webhook_url,
        requests=len(state.requests_log),
    )


@control_bp.post("/webhooks")
def send_webhooks() -> Response:
    """Create leads and deliver them as one batched, signed webhook to body["url"]."""
    body = _body()
    url = body.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ControlInputError("url must be an http(s) URL")
    flags = {name: body.get(name, False) for name in ("duplicate", "bad_signature")}
    if not all(isinstance(flag, bool) for flag in flags.values()):
        raise ControlInputError("duplicate and bad_signature must be booleans")
    state = _state()
    leads = state.add_leads(_form_id(body), _count(body, 1, MAX_WEBHOOK_COUNT))
    statuses = deliver_leads(state, leads, url, **flags)
    log.info("sandbox webhook: %d leads to %s -> %s", len(leads), url, statuses)
    return jsonify(leads=[lead["id"] for lead in leads], statuses=statuses)


@control_bp.post("/config")
def configure() -> Response:
    """Set webhook_url (or null), app_secret, require_proof at runtime (demo convenience)."""
    body = _body()
    state = _state()
    checks = {"webhook_url": (str, type(None)), "app_secret": (str,), "require_proof": (bool,)}
    for key, value in body.items():
        if key not in checks or not isinstance(value, checks[key]):
            raise ControlInputError(f"bad config key or type: {key}")
    for key, value in body.items():
        setattr(state, key, value)
    return jsonify(webhook_url=state.webhook_url, require_proof=state.require_proof)


@control_bp.post("/revoke")
def revoke() -> Response:
    body = _body()
    token, subcode = body.get("token"), body.get("subcode", 467)
    if not isinstance(token, str) or not token or not isinstance(subcode, int):
        raise ControlInputError("token (string) and optional subcode (int) required")
    _state().revoke_token(token, subcode)
    return jsonify(ok=True)
