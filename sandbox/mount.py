"""What the development entry point adds to the app: the demo CLI, and (META_SANDBOX=1) the
sandbox routes, a lead timer and webhook delivery to the app's own `/webhooks/meta`."""

import logging

from flask import Flask

from .cli import register_cli
from .server import init_sandbox
from .state import SandboxState
from .webhooks import start_lead_timer

log = logging.getLogger(__name__)


def mount(app: Flask) -> SandboxState | None:
    """The demo CLI always; the sandbox's Graph and control routes when META_SANDBOX is on."""
    register_cli(app)
    if not app.config["META_SANDBOX"]:
        return None
    return init_sandbox(app, SandboxState(app_secret=app.config["META_APP_SECRET"]))


def start_demo(app: Flask, host: str, port: int) -> None:
    """A new sandbox lead every few seconds, delivered to our own webhook (signed with
    META_APP_SECRET) as Meta would."""
    state = app.extensions.get("meta_sandbox")
    if state is None:
        return
    if app.config["META_APP_SECRET"]:
        state.webhook_url = f"http://{host}:{port}/webhooks/meta"
    interval = app.config["META_SANDBOX_LEAD_INTERVAL"]
    if interval > 0:
        start_lead_timer(app, interval)
        log.info(
            "sandbox adds a lead every %ss%s",
            interval,
            " and sends its webhook" if state.webhook_url else "",
        )
