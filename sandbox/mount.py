"""What the development entry point adds to the app: the demo CLI, and (META_SANDBOX=1) the
sandbox routes, a lead timer and webhook delivery to the app's own `/webhooks/meta`."""

import logging
import socket
import sys
import threading
import time
from pathlib import Path

from flask import Flask

from .cli import register_cli
from .demo import sign_in_lines
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


def announce_sign_in(app: Flask, host: str, port: int, *, wait_s: float = 30.0) -> threading.Thread:
    """Print where to open the demo and the demo users' sign-in lines once the server accepts
    connections, so they come last, after the server's own start-up warnings."""

    def run() -> None:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            try:
                socket.create_connection((host, port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            return
        time.sleep(0.5)  # werkzeug logs its banner just after binding
        with app.app_context():
            lines = sign_in_lines(Path(app.instance_path))
        print(f"\nOpen http://{host}:{port}/ and sign in:", *lines, sep="\n  ", flush=True)
        sys.stdout.flush()

    thread = threading.Thread(target=run, name="demo-sign-in", daemon=True)
    thread.start()
    return thread
