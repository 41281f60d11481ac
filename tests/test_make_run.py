"""`make run`'s server (`python wsgi.py`): a busy port is named with the way out, and the demo
users' sign-in lines come last, after the server's own start-up lines (issue 14, item 3).
Real processes on real ports; SQLite in a temporary directory."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.mail_server import free_port

ROOT = Path(__file__).resolve().parents[1]


def server_env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "WERKZEUG_"))}
    return env | {
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "META_SANDBOX": "1",
        "META_SANDBOX_LEAD_INTERVAL": "0",
        "SCHEDULER_ENABLED": "0",
        "REDIS_URL": "",
        "PYTHONUNBUFFERED": "1",
        "FLASK_APP": "wsgi.py",
    }


def test_a_busy_port_is_named_with_how_to_choose_another(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "wsgi.py"],
            cwd=ROOT,
            env=server_env(tmp_path, port),
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert done.returncode == 1
    assert f"Port {port} on 127.0.0.1 is already in use" in done.stderr
    assert f"PORT={port + 1} make run" in done.stderr
    assert "Traceback" not in done.stderr and "Address already in use" not in done.stderr


def test_the_demo_sign_in_lines_come_last(tmp_path):
    port = free_port()
    env = server_env(tmp_path, port)
    flask = [sys.executable, "-m", "flask"]
    for args in (["db", "upgrade"], ["seed", "demo", "--quiet"]):
        seeded = subprocess.run(flask + args, cwd=ROOT, env=env, capture_output=True, text=True)
        assert seeded.returncode == 0, seeded.stderr
        assert "Demo superadmin" not in seeded.stdout  # --quiet: the server prints them
    server = subprocess.Popen(
        [sys.executable, "wsgi.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not any("Demo staff: mehmet" in x for x in lines):
            line = server.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()
    output = "\n".join(lines)
    assert f"Open http://127.0.0.1:{port}/ and sign in:" in output, output
    running = max(i for i, x in enumerate(lines) if "Running on" in x or "development server" in x)
    signed = min(i for i, x in enumerate(lines) if x.startswith("Open http://"))
    assert running < signed
    assert [x.split(":")[0].strip() for x in lines[signed + 1 :]] == [
        "Demo superadmin",
        "Demo staff",
        "Demo staff",
    ]
