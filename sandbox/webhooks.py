"""Meta-style `leadgen` webhooks: payloads, signing, delivery with retries, and the lead timer."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import requests

from .util import parse_graph_time, sign_body

if TYPE_CHECKING:
    from flask import Flask

    from .state import SandboxState

log = logging.getLogger(__name__)

MAX_BATCH = 1000  # Meta batches up to 1000 updates per POST
RETRY_DELAYS = (0.0, 0.05, 0.2, 0.5, 1.0, 2.0)  # immediate, then less and less often


def webhook_change(lead: dict, page_id: str) -> dict:
    """One §8.3 `changes[]` element for *lead* (no ad ids for organic or test leads)."""
    value: dict[str, Any] = {
        "leadgen_id": lead["id"],
        "page_id": page_id,
        "form_id": lead["form_id"],
    }
    if lead.get("ad_id"):
        value["adgroup_id"] = lead["ad_id"]
        value["ad_id"] = lead["ad_id"]
    value["created_time"] = parse_graph_time(lead["created_time"])
    return {"field": "leadgen", "value": value}


def webhook_payload(changes: list[dict], sent_at: int | None = None) -> dict:
    """Group changes into one `entry` per page, as Meta does."""
    sent_at = int(time.time()) if sent_at is None else sent_at
    entries: dict[str, dict] = {}
    for change in changes:
        page_id = str(change["value"]["page_id"])
        entry = entries.setdefault(page_id, {"id": page_id, "time": sent_at, "changes": []})
        entry["changes"].append(change)
    return {"object": "page", "entry": list(entries.values())}


def deliver_webhook(
    url: str,
    app_secret: str,
    changes: list[dict],
    *,
    bad_signature: bool = False,
    duplicate: bool = False,
    timeout: float = 5.0,
    retries: int = 3,
) -> list[int]:
    """POST the §8.3 payload signed with X-Hub-Signature-256 (+ legacy sha1) over the exact
    raw bytes; batches of at most 1000 changes; `duplicate` sends each batch twice; non-200
    answers are retried up to *retries* times. Returns every attempt's status (0 = no answer)."""
    statuses: list[int] = []
    for start in range(0, len(changes), MAX_BATCH):
        body = json.dumps(webhook_payload(changes[start : start + MAX_BATCH])).encode("ascii")
        secret = app_secret + secrets.token_hex(4) if bad_signature else app_secret
        sha256, sha1 = sign_body(secret, body)
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sha256,
            "X-Hub-Signature": sha1,
            "User-Agent": "facebookexternalua",
        }
        for _ in range(2 if duplicate else 1):
            statuses.extend(_post_with_retries(url, body, headers, timeout, retries))
    return statuses


def _post_with_retries(
    url: str, body: bytes, headers: dict[str, str], timeout: float, retries: int
) -> list[int]:
    statuses: list[int] = []
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(RETRY_DELAYS[min(attempt - 1, len(RETRY_DELAYS) - 1)])
        try:
            status = requests.post(url, data=body, headers=headers, timeout=timeout).status_code
        except requests.RequestException as exc:
            log.warning("sandbox webhook to %s failed: %s", url, type(exc).__name__)
            status = 0
        statuses.append(status)
        if status == 200:
            break
    return statuses


def verify_callback(url: str, verify_token: str, timeout: float = 5.0) -> tuple[bool, str]:
    """Meta's subscription handshake: GET hub.* params; the body must echo hub.challenge."""
    challenge = str(secrets.randbelow(9 * 10**9) + 10**9)
    params = {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token}
    try:
        response = requests.get(url, params=params, timeout=timeout)
    except requests.RequestException as exc:
        return False, f"Couldn't connect to server ({type(exc).__name__})"
    if response.status_code != 200:
        return False, f"HTTP Status Code = {response.status_code}"
    if response.text != challenge:
        return False, "The URL couldn't be validated. Response does not match challenge"
    return True, "ok"


def deliver_leads(
    state: SandboxState, leads: list[dict], url: str | None = None, **options: Any
) -> list[int]:
    """Signed webhook for *leads* to *url* (default state.webhook_url), one batched POST."""
    target = url or state.webhook_url
    if not target or not leads:
        return []
    changes = [webhook_change(lead, state.page_id_of(lead["form_id"])) for lead in leads]
    return deliver_webhook(target, state.app_secret, changes, **options)


def start_lead_timer(
    app_or_state: Flask | SandboxState,
    interval_s: float,
    *,
    on_lead: Callable[[list[dict]], None] | None = None,
) -> Callable[[], None]:
    """Daemon thread adding one lead every *interval_s* (round-robin over forms) and, when
    state.webhook_url is set and the lead's Page is subscribed to leadgen, delivering a signed
    webhook for it. Returns stop(), which ends the thread and waits briefly for it."""
    state = _state_of(app_or_state)
    stop_event = threading.Event()

    def run() -> None:
        while not stop_event.wait(interval_s):
            _tick(state, on_lead)

    thread = threading.Thread(target=run, name="meta-sandbox-lead-timer", daemon=True)
    thread.start()

    def stop() -> None:
        stop_event.set()
        thread.join(timeout=max(1.0, interval_s * 2))

    return stop


def _tick(state: SandboxState, on_lead: Callable[[list[dict]], None] | None) -> None:
    try:
        leads = state.add_leads(None, 1)
        subscribed = [
            lead
            for lead in leads
            if "leadgen" in state.pages[state.page_id_of(lead["form_id"])].subscribed_fields
        ]
        deliver_leads(state, subscribed, retries=2)
        if on_lead is not None:
            on_lead(leads)
    except Exception:  # a timer thread must survive one bad tick
        log.exception("sandbox lead timer tick failed")


def _state_of(app_or_state: Flask | SandboxState) -> SandboxState:
    extensions = getattr(app_or_state, "extensions", None)
    if extensions is not None:
        return extensions["meta_sandbox"]
    return app_or_state  # type: ignore[return-value]
