"""Meta sandbox: a fake Graph API (Lead Ads) with generated medical-tourism leads.

Mount it with `init_sandbox(app)` (Graph routes at /_sandbox/graph, control API at
/_sandbox/control) or serve it standalone with `serve_in_thread(create_sandbox_app())`.
Default Page "100000000000001" ("MSH Med Tour"), page token "sandbox-page-token",
user token "sandbox-user-token", app id "900000000000001" (app token "<app id>|<app secret>").
"""

from .control import control_bp
from .faults import Fault, GraphAPIError
from .graph import bp
from .server import (
    CONTROL_PREFIX,
    GRAPH_PREFIX,
    SandboxServer,
    create_sandbox_app,
    init_sandbox,
    serve_in_thread,
)
from .state import (
    DEFAULT_PAGE_ID,
    DEFAULT_PAGE_NAME,
    DEFAULT_PAGE_TOKEN,
    DEFAULT_USER_TOKEN,
    SANDBOX_APP_ID,
    SandboxPage,
    SandboxState,
)
from .util import appsecret_proof, sign_body
from .webhooks import deliver_webhook, start_lead_timer, verify_callback, webhook_change

__all__ = [
    "CONTROL_PREFIX",
    "DEFAULT_PAGE_ID",
    "DEFAULT_PAGE_NAME",
    "DEFAULT_PAGE_TOKEN",
    "DEFAULT_USER_TOKEN",
    "GRAPH_PREFIX",
    "SANDBOX_APP_ID",
    "Fault",
    "GraphAPIError",
    "SandboxPage",
    "SandboxServer",
    "SandboxState",
    "appsecret_proof",
    "bp",
    "control_bp",
    "create_sandbox_app",
    "deliver_webhook",
    "init_sandbox",
    "serve_in_thread",
    "sign_body",
    "start_lead_timer",
    "verify_callback",
    "webhook_change",
]
