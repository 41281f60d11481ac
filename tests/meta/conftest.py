"""Fixtures of the Graph client tests: clients, and a tiny scripted JSON server."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, Response, request

from app.meta.client import GraphClient
from sandbox import DEFAULT_PAGE_TOKEN, SandboxServer, serve_in_thread
from tests.sandbox.fixtures import SANDBOX_APP_SECRET

VERSION = "v25.0"
BACKOFF = 0.01


@pytest.fixture
def connect() -> Iterator[Callable[..., GraphClient]]:
    """Build GraphClients (no real sleeping unless asked) and close them after the test."""
    clients: list[GraphClient] = []

    def build(base_url: str, **overrides: Any) -> GraphClient:
        options: dict[str, Any] = {
            "version": VERSION,
            "app_secret": SANDBOX_APP_SECRET,
            "timeout": 2.0,
            "max_retries": 2,
            "backoff_s": BACKOFF,
            "sleep": lambda seconds: None,
        }
        options.update(overrides)
        token = options.pop("token", DEFAULT_PAGE_TOKEN)
        client = GraphClient(token, base_url=base_url, **options)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@dataclass
class ScriptedServer:
    """A tiny JSON server: answers with the queued (status, body) replies and records requests."""

    url: str = ""
    replies: list[tuple[int, Any]] = field(default_factory=list)
    seen: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def scripted_server() -> Iterator[Callable[..., ScriptedServer]]:
    servers: list[SandboxServer] = []

    def start(*replies: tuple[int, Any]) -> ScriptedServer:
        scripted = ScriptedServer(replies=list(replies))
        app = Flask("scripted_graph")

        @app.route("/<path:path>")
        def answer(path: str) -> Response:
            scripted.seen.append(
                {
                    "path": "/" + path,
                    "args": request.args.to_dict(),
                    "authorization": request.headers.get("Authorization"),
                }
            )
            status, body = scripted.replies.pop(0) if scripted.replies else (404, "gone")
            text = body if isinstance(body, str) else json.dumps(body)
            return Response(text, status, content_type="application/json")

        server = serve_in_thread(app)
        servers.append(server)
        scripted.url = server.url
        return scripted

    yield start
    for server in servers:
        server.shutdown()


def graph_calls(server: SandboxServer) -> list[tuple[str, dict[str, str]]]:
    return [(path, params) for _, path, params in server.state.requests_log]


def first_form(server: SandboxServer) -> str:
    return server.state.form_ids()[0]


def lead_ids(leads: list[dict]) -> list[str]:
    return [lead["id"] for lead in leads]
