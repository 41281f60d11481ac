"""Entry point: `gunicorn -w 1 --threads 64 wsgi:app`, or `python wsgi.py` for the demo server.

Outside production it also adds the Meta sandbox (top-level `sandbox/`, never imported by
`app/`): `flask seed demo`, and with META_SANDBOX=1 the fake Graph API and its lead timer."""

import os

from app import create_app
from app.extensions import socketio

app = create_app()
if app.config["ENV_NAME"] != "production":
    from sandbox.mount import mount, start_demo

    mount(app)


if __name__ == "__main__":
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "5000"))
    if app.config["ENV_NAME"] != "production":
        start_demo(app, host, port)
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True)
