"""Entry point: `APP_ENV=production gunicorn -w 1 --threads 64 wsgi:app`, or `python wsgi.py`
for the demo server.

Served as `wsgi:app` (gunicorn, uWSGI…) it needs APP_ENV set explicitly; `flask …`,
`make run` and `python wsgi.py` default to development. Outside production it also adds the
Meta sandbox (top-level `sandbox/`, never imported by `app/`): `flask seed demo`, and with
META_SANDBOX=1 the fake Graph API and its lead timer."""

import gc
import os
import socket
import sys

from app import create_app
from app.extensions import socketio
from config import require_explicit_app_env

if __name__ != "__main__" and os.environ.get("FLASK_RUN_FROM_CLI") != "true":
    require_explicit_app_env()
app = create_app()
if app.config["ENV_NAME"] != "production":
    from sandbox.mount import mount, start_demo

    mount(app)
# What start-up made (~180,000 objects: modules, the app, SQLAlchemy's and Jinja's tables)
# lives as long as the process: keep it out of the garbage collector's full passes, which
# otherwise walked all of it every few requests (~120 ms each, every thread waiting).
gc.freeze()


def port_taken(host: str, port: int) -> bool:
    """Whether something already listens on host:port (werkzeug would fail with its own words)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug binds
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


if __name__ == "__main__":
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "5000"))
    if port_taken(host, port):
        sys.exit(
            f"Port {port} on {host} is already in use (another `make run`, or another program).\n"
            f"Choose another port: PORT={port + 1} make run"
        )
    if app.config["ENV_NAME"] != "production":
        from sandbox.mount import announce_sign_in

        start_demo(app, host, port)
        announce_sign_in(app, host, port)
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True)
