"""Fixtures that run the Meta sandbox as a real HTTP server (reusable by client/ingestion tests).

`sandbox` -> a fresh `SandboxServer` per test on 127.0.0.1:<ephemeral port>:

    sandbox.graph_url     base URL to give the Graph client, e.g. "http://127.0.0.1:41234/_sandbox/graph"
                          (requests go to f"{graph_url}/v24.0/{form_id}/leads", any vNN.N works)
    sandbox.state         the SandboxState: add_leads(), add_bulk(), inject_fault(), revoke_token(),
                          leads_of(), requests_log, webhook_url, app_secret, reset()
    sandbox.url / .control_url   server root / the JSON control API

Defaults: seed 7, 40 leads on each of the 3 forms of Page DEFAULT_PAGE_ID (token
DEFAULT_PAGE_TOKEN), app secret SANDBOX_APP_SECRET (so the app token is
f"{SANDBOX_APP_ID}|{SANDBOX_APP_SECRET}"), appsecret_proof checked when sent but not required,
real clock. Other settings:

    def test_x(sandbox_factory):
        server = sandbox_factory(require_proof=True, leads_per_form=0, now=lambda: FIXED)

`webhook_receiver` -> a tiny HTTP app that records webhook POSTs (headers + raw body bytes), answers
with the statuses queued in `.statuses` (then 200), and echoes `hub.challenge` when
`hub.verify_token == WEBHOOK_VERIFY_TOKEN`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask, request

from sandbox import SandboxServer, SandboxState, create_sandbox_app, serve_in_thread

SANDBOX_APP_SECRET = "sandbox-app-secret"
WEBHOOK_VERIFY_TOKEN = "verify-me"


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., SandboxServer]]:
    """Start sandboxes with custom SandboxState kwargs; all are shut down after the test."""
    servers: list[SandboxServer] = []

    def start(**state_kwargs) -> SandboxServer:
        state_kwargs.setdefault("app_secret", SANDBOX_APP_SECRET)
        server = serve_in_thread(create_sandbox_app(SandboxState(**state_kwargs)))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., SandboxServer]) -> SandboxServer:
    """A fresh default sandbox served over HTTP (see the module docstring)."""
    return sandbox_factory()


@dataclass
class WebhookReceiver:
    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[dict[str, str], bytes]]:
        """Block until at least *count* POSTs arrived (or the timeout passes); return them all."""
        while len(self.received) < count and self.arrived.wait(timeout):
            self.arrived.clear()
        return list(self.received)


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    app = Flask("webhook_receiver")
    receiver = WebhookReceiver(url="")

    @app.get("/hook")
    def verify():
        if request.args.get("hub.verify_token") != WEBHOOK_VERIFY_TOKEN:
            return "forbidden", 403
        return request.args.get("hub.challenge", ""), 200, {"Content-Type": "text/plain"}

    @app.post("/hook")
    def receive():
        receiver.received.append((dict(request.headers), request.get_data()))
        receiver.arrived.set()
        status = receiver.statuses.pop(0) if receiver.statuses else 200
        return "", status

    server = serve_in_thread(app)
    receiver.url = server.url + "/hook"
    yield receiver
    server.shutdown()
