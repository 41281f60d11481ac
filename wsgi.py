"""Entry point: `gunicorn -w 1 --threads 50 wsgi:app`, or `python wsgi.py` for the demo server."""

import logging
import os

from app import create_app
from app.extensions import socketio

app = create_app()


def start_demo_sandbox(host: str, port: int) -> None:
    """With META_SANDBOX=1, the built-in sandbox produces a new lead every few seconds and
    delivers it to our own webhook (signed with META_APP_SECRET), as Meta would."""
    if not app.config["META_SANDBOX"]:
        return
    from app.meta.sandbox import start_lead_timer

    state = app.extensions["meta_sandbox"]
    if app.config["META_APP_SECRET"]:
        state.webhook_url = f"http://{host}:{port}/webhooks/meta"
    interval = app.config["META_SANDBOX_LEAD_INTERVAL"]
    if interval > 0:
        start_lead_timer(app, interval)
        logging.getLogger("app").info(
            "sandbox adds a lead every %ss%s",
            interval,
            " and sends its webhook" if state.webhook_url else "",
        )


if __name__ == "__main__":
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "5000"))
    start_demo_sandbox(host, port)
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True)
