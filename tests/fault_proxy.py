"""A proxy in front of the sandbox that breaks Graph answers the way a fault run found them
broken, so the pipeline is tested against answers the sandbox itself would never give.

    proxy = fault_proxy(sandbox)            # fixture; point META_GRAPH_URL at proxy.graph_url
    proxy.break_pages("data_not_list", after=1)      # the 2nd leads page: `data` is an object
    proxy.break_pages("drop_paging", after=2)        # the 3rd page loses `paging` altogether
    proxy.break_pages("truncate")                    # the body is cut in half
    proxy.break_pages("non_objects")                 # `data` gains entries that are not leads
    proxy.patch_lead(lead_id, deep_nest())           # that lead's field_data nested 3,000 deep
    proxy.patch_lead(lead_id, field_data({"a": 1}))  # wrong-shaped answers
    proxy.patch_lead(lead_id, created("2099-01-01T00:00:00+0000"))
    proxy.fail_lead(lead_id, 100, times=2)           # GET /{lead} answers Meta's 100/33 twice
    proxy.patch_form(form_id, lambda form: {**form, "leads_count": 10**20})

Patches apply wherever the lead appears (list pages and `GET /{lead}`), and only when its
`field_data` was asked for, so an ids-only request still reads fine.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from flask import Flask, Response, request

from sandbox import serve_in_thread
from sandbox.server import GRAPH_PREFIX

POISON = "__poison__"
MISSING = object()
Patch = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class PageRule:
    kind: str
    after: int = 0
    times: int = 1


@dataclass
class FaultProxy:
    upstream: str
    url: str = ""
    rules: list[PageRule] = field(default_factory=list)
    patches: dict[str, Patch] = field(default_factory=dict)
    lead_errors: dict[str, list[int]] = field(default_factory=dict)
    depth: int = 3000
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def graph_url(self) -> str:
        return self.url + GRAPH_PREFIX

    def break_pages(self, kind: str, *, after: int = 0, times: int = 1) -> None:
        self.rules.append(PageRule(kind, after, times))

    def patch_lead(self, lead_id: str, patch: Patch) -> None:
        self.patches[lead_id] = patch

    def patch_form(self, form_id: str, patch: Patch) -> None:
        """Change the form object Meta answers for `GET /{form}` (its counts, say)."""
        self.patches[f"form:{form_id}"] = patch

    def fail_lead(self, lead_id: str, code: int, *, times: int = 1) -> None:
        self.lead_errors.setdefault(lead_id, []).extend([code] * times)

    def take_rule(self) -> PageRule | None:
        with self.lock:
            for rule in self.rules:
                if rule.after:
                    rule.after -= 1
                    return None
                rule.times -= 1
                if rule.times == 0:
                    self.rules.remove(rule)
                return rule
            return None

    def take_lead_error(self, lead_id: str) -> int | None:
        with self.lock:
            codes = self.lead_errors.get(lead_id)
            return codes.pop(0) if codes else None


def deep_nest() -> Patch:
    return lambda lead: {**lead, "field_data": POISON}


def field_data(value: Any) -> Patch:
    def patch(lead: dict[str, Any]) -> dict[str, Any]:
        changed = dict(lead)
        if value is MISSING:
            changed.pop("field_data")
        else:
            changed["field_data"] = value
        return changed

    return patch


def created(value: str) -> Patch:
    return lambda lead: {**lead, "created_time": value}


def create_proxy_app(proxy: FaultProxy) -> Flask:
    app = Flask("fault_proxy")

    @app.get("/<path:path>")
    def forward(path: str) -> Response:
        lead_id = path.rstrip("/").rpartition("/")[2]
        code = proxy.take_lead_error(lead_id)
        if code is not None:
            return graph_error(code)
        query = request.query_string.decode()
        headers = {"Authorization": request.headers.get("Authorization", "")}
        upstream = requests.get(f"{proxy.upstream}/{path}?{query}", headers=headers, timeout=10)
        body = upstream.text.replace(proxy.upstream, proxy.url)
        if upstream.status_code == 200 and upstream.headers["Content-Type"].startswith(
            "application/json"
        ):
            body = mangle(proxy, json.loads(body), leads_page=path.endswith("/leads"))
        return Response(body, upstream.status_code, content_type=upstream.headers["Content-Type"])

    return app


def mangle(proxy: FaultProxy, body: dict[str, Any], *, leads_page: bool) -> str:
    if isinstance(body.get("data"), list):
        body["data"] = [patched(proxy, lead) for lead in body["data"]]
    elif "id" in body:
        body = patched(proxy, body)
    rule = proxy.take_rule() if leads_page else None
    kind = rule.kind if rule else None
    if kind == "data_not_list":
        body["data"] = {"unexpected": True}
    elif kind == "drop_paging":
        body.pop("paging", None)
    elif kind == "non_objects":
        body["data"] = [*body["data"], None, "lead", 7]
    text = json.dumps(body).replace(json.dumps(POISON), "[" * proxy.depth + "]" * proxy.depth)
    return text[: len(text) // 2] if kind == "truncate" else text


def patched(proxy: FaultProxy, lead: Any) -> Any:
    if isinstance(lead, dict) and "leads_count" in lead:
        patch = proxy.patches.get(f"form:{lead.get('id')}")
        return patch(lead) if patch else lead
    if not isinstance(lead, dict) or "field_data" not in lead:
        return lead
    patch = proxy.patches.get(str(lead.get("id")))
    return patch(lead) if patch else lead


def graph_error(code: int) -> Response:
    envelope = {
        "error": {
            "message": f"(#{code}) Unsupported get request.",
            "type": "GraphMethodException",
            "code": code,
            "error_subcode": 33,
            "fbtrace_id": "AbCdEfGh",
        }
    }
    return Response(json.dumps(envelope), 400, content_type="application/json")


@pytest.fixture
def fault_proxy() -> Iterator[Callable[..., FaultProxy]]:
    """`fault_proxy(sandbox)` starts a proxy in front of that sandbox server."""
    servers = []

    def start(sandbox) -> FaultProxy:
        proxy = FaultProxy(upstream=sandbox.url)
        server = serve_in_thread(create_proxy_app(proxy))
        servers.append(server)
        proxy.url = server.url
        return proxy

    yield start
    for server in servers:
        server.shutdown()
