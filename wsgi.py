"""Entry point: `APP_ENV=production gunicorn -w 1 --threads 64 wsgi:app`, or `python wsgi.py`
for the demo server.

Served as `wsgi:app` (gunicorn, uWSGI…) it needs APP_ENV set explicitly; `flask …`,
`make run` and `python wsgi.py` default to development. Outside production it also adds the
Meta sandbox (top-level `sandbox/`, never imported by `app/`): `flask seed demo`, and with
META_SANDBOX=1 the fake Graph API and its lead timer."""

import os

from app import create_app
from app.extensions import socketio
from config import require_explicit_app_env

if __name__ != "__main__" and os.environ.get("FLASK_RUN_FROM_CLI") != "true":
    require_explicit_app_env()
app = create_app()
if app.config["ENV_NAME"] != "production":
    from sandbox.mount import mount, start_demo

    mount(app)


if __name__ == "__main__":
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "5000"))
    if app.config["ENV_NAME"] != "production":
        start_demo(app, host, port)
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True)
