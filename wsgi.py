"""Entry point: `gunicorn -w 1 --threads 50 wsgi:app`, or `python wsgi.py` for the demo server."""

import logging
import os

from app import create_app
from app.extensions import socketio

app = create_app()


def start_demo_sandbox() -> None:
    """With META_SANDBOX=1, let the built-in sandbox produce a new lead every few seconds."""
    if not app.config["META_SANDBOX"]:
        return
    from app.meta.sandbox import start_lead_timer

    interval = app.config["META_SANDBOX_LEAD_INTERVAL"]
    if interval > 0:
        start_lead_timer(app, interval)
        logging.getLogger("app").info("sandbox adds a lead every %ss", interval)


if __name__ == "__main__":
    start_demo_sandbox()
    socketio.run(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "5000")),
        allow_unsafe_werkzeug=True,
    )
