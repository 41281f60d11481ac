"""Mounting the sandbox on an app, a standalone sandbox app, and a real HTTP server thread."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .control import control_bp
from .graph import bp
from .state import SandboxState

log = logging.getLogger(__name__)

GRAPH_PREFIX = "/_sandbox/graph"
CONTROL_PREFIX = "/_sandbox/control"
SECRET_PARAM_RE = re.compile(
    r"\b(access_token|input_token|fb_exchange_token|client_secret|appsecret_proof)=[^&\s]*"
)
POLL_INTERVAL_S = 0.05  # shutdown() waits up to one poll interval; keeps test teardown fast


def init_sandbox(app: Flask, state: SandboxState | None = None) -> SandboxState:
    """Mount the Graph routes at /_sandbox/graph and the control API at /_sandbox/control, keep
    the state in app.extensions["meta_sandbox"], and exempt both blueprints from CSRFProtect and
    Flask-Limiter if those are already initialised on *app* (call this after them)."""
    state = state if state is not None else SandboxState()
    app.extensions["meta_sandbox"] = state
    app.register_blueprint(bp, url_prefix=GRAPH_PREFIX)
    app.register_blueprint(control_bp, url_prefix=CONTROL_PREFIX)
    csrf = app.extensions.get("csrf")
    if csrf is not None and hasattr(csrf, "exempt"):
        csrf.exempt(bp)
        csrf.exempt(control_bp)
    limiters = app.extensions.get("limiter")
    for limiter in limiters if isinstance(limiters, set | list | tuple) else [limiters]:
        if limiter is not None and hasattr(limiter, "exempt"):
            limiter.exempt(bp)
            limiter.exempt(control_bp)
    return state


def create_sandbox_app(state: SandboxState | None = None) -> Flask:
    """A bare Flask app that serves only the sandbox (for tests and `serve_in_thread`)."""
    app = Flask(__name__)
    init_sandbox(app, state)
    return app


@dataclass
class SandboxServer:
    """Handle on a sandbox served over real HTTP; `graph_url` is the client's base URL."""

    url: str
    state: SandboxState | None
    _server: BaseWSGIServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def graph_url(self) -> str:
        return self.url + GRAPH_PREFIX

    @property
    def control_url(self) -> str:
        return self.url + CONTROL_PREFIX

    def shutdown(self) -> None:
        """Stop serving, wait for the thread, and close the listening socket."""
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server.server_close()


class _RedactingHandler(WSGIRequestHandler):
    """werkzeug's access log, minus token values (the request line carries access_token)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Called after the WSGI environ was built, so rewriting the path only affects the log.
        self.path = SECRET_PARAM_RE.sub(r"\1=<redacted>", self.path)
        self.requestline = SECRET_PARAM_RE.sub(r"\1=<redacted>", self.requestline)
        super().log_request(code, size)


def serve_in_thread(app: Flask, host: str = "127.0.0.1", port: int = 0) -> SandboxServer:
    """Serve *app* with werkzeug's threaded server in a daemon thread (port 0 = ephemeral)."""
    server = make_server(host, port, app, threaded=True, request_handler=_RedactingHandler)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": POLL_INTERVAL_S},
        name="meta-sandbox-http",
        daemon=True,
    )
    thread.start()
    url = f"http://{host}:{server.server_port}"
    log.info("meta sandbox serving on %s", url)
    return SandboxServer(url, app.extensions.get("meta_sandbox"), server, thread)
