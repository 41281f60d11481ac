"""Webhook benchmark (issue: Meta integration for production).

(a) Latency: with the app served by a real server (its own process) and a python-socketio
    client signed in as a superadmin, the time from a signed webhook POST to the
    `lead_created` event reaching the client (the lead fetched from the sandbox), over N leads.
    The original design polled every 5 minutes: 150 s on average.
(b) Acknowledgement: 50 concurrent senders POST signed webhooks, each at its own random
    (Poisson) pace, 100 deliveries a second in all; p95 of the 200 answer, and every delivered
    change must end up stored (no event lost). For comparison, the same 50 senders posting
    back to back (saturation) give the server's throughput on this machine.
/healthz is timed in the same run as the baseline.

The app runs under gunicorn (`-w 1 --threads 64`, the production command) unless
`--server werkzeug` (the `make run` server) is given.

Usage: .venv/bin/python bench/webhook.py [--leads 200] [--senders 50] [--posts 1000] [--rate 100]
"""

import argparse
import json
import logging
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import socketio
import sqlalchemy as sa
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox import (  # noqa: E402
    DEFAULT_PAGE_ID,
    DEFAULT_PAGE_TOKEN,
    SandboxState,
    create_sandbox_app,
    serve_in_thread,
    sign_body,
    webhook_change,
)
from sandbox.webhooks import webhook_payload  # noqa: E402

SECRET = "bench-app-secret"
PASSWORD = "bench-password-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


class App:
    """The app in its own process (`python wsgi.py`), on a fresh SQLite database."""

    def __init__(self, graph_url: str, form_ids: list[str], server: str) -> None:
        self.db_path = Path(tempfile.mkdtemp(prefix="mld-webhook-")) / "bench.sqlite"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {
            "FLASK_APP": "wsgi.py",
            "APP_ENV": "development",
            "DATABASE_URL": f"sqlite:///{self.db_path}",
            "META_GRAPH_URL": graph_url,
            "META_APP_SECRET": SECRET,
            "SECRET_KEY": "bench-secret-key-of-at-least-32-bytes",
            "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "SCHEDULER_ENABLED": "0",
            "META_SANDBOX": "0",
            "LOG_LEVEL": "WARNING",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEBHOOK_WORKER": os.environ.get("WEBHOOK_WORKER", "1"),
        }
        flask = [str(Path(sys.executable).parent / "flask")]
        forms = [arg for form_id in form_ids for arg in ("--form-id", form_id)]
        for args in (
            ["db", "upgrade"],
            ["users", "create", "bench", "--role", "superadmin", "--password", PASSWORD],
            ["distributors", "create", "Bench"],
            [
                "meta",
                "add-config",
                "--distributor",
                "Bench",
                "--page-id",
                DEFAULT_PAGE_ID,
                *forms,
                "--token",
                DEFAULT_PAGE_TOKEN,
            ],
        ):
            subprocess.run(flask + args, cwd=ROOT, env=self.env, check=True, capture_output=True)
        command = [sys.executable, "wsgi.py"]
        if server == "gunicorn":
            gunicorn = str(Path(sys.executable).parent / "gunicorn")
            command = [
                gunicorn,
                "-w",
                "1",
                "--threads",
                "64",
                "-b",
                f"127.0.0.1:{self.port}",
                "wsgi:app",
            ]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("the app did not start")

    def login(self) -> requests.Session:
        session = requests.Session()
        page = session.get(f"{self.url}/auth/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        session.post(
            f"{self.url}/auth/login",
            data={"username": "bench", "password": PASSWORD, "csrf_token": token},
        )
        return session

    def count(self, table: str) -> int:
        engine = sa.create_engine(f"sqlite:///{self.db_path}")
        with engine.connect() as conn:
            n = conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
        engine.dispose()
        return n

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def post(session: requests.Session, url: str, leads: list[dict]) -> float:
    body = json.dumps(
        webhook_payload([webhook_change(lead, DEFAULT_PAGE_ID) for lead in leads])
    ).encode()
    headers = {
        "X-Hub-Signature-256": sign_body(SECRET, body)[0],
        "Content-Type": "application/json",
    }
    started = time.perf_counter()
    response = session.post(f"{url}/webhooks/meta", data=body, headers=headers, timeout=30)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed


def healthz_baseline(url: str, n: int = 200) -> list[float]:
    session, times = requests.Session(), []
    for _ in range(n):
        started = time.perf_counter()
        session.get(f"{url}/healthz", timeout=5).raise_for_status()
        times.append(time.perf_counter() - started)
    return times


def bench_latency(app: App, state: SandboxState, count: int) -> list[float]:
    """POST one signed change at a time; wait for its lead_created on the socket."""
    session = app.login()
    client, arrived = socketio.Client(reconnection=False), threading.Event()
    client.on("lead_created", lambda data: arrived.set())
    client.connect(
        app.url,
        headers={
            "Cookie": f"session={session.cookies['session']}",
            # the same browser: Flask-Login's strong session protection
            "User-Agent": session.headers["User-Agent"],
        },
        transports=["websocket"],
        wait_timeout=10,
    )
    sender, times = requests.Session(), []
    try:
        for _ in range(count):
            lead = state.add_leads(count=1)[0]
            arrived.clear()
            started = time.perf_counter()
            post(sender, app.url, [lead])
            if not arrived.wait(timeout=10):
                raise RuntimeError("lead_created never arrived")
            times.append(time.perf_counter() - started)
    finally:
        client.disconnect()
    return times


def bench_ack(
    app: App, state: SandboxState, senders: int, posts: int, rate: float | None
) -> tuple[list[float], float, int, int]:
    """*senders* threads POST *posts* single-change webhooks, each sender at an exponential
    pace (*rate* deliveries a second in all), or back to back when *rate* is None.
    Returns the ack times, the wall time, and how many events and leads were stored."""
    leads = state.add_leads(count=posts)
    # Open loop: Poisson arrival times for all deliveries, dealt round-robin to the senders,
    # each of which posts at its scheduled moments (back to back when rate is None).
    pace, clock = random.Random(7), 0.0
    arrivals = []
    for _ in leads:
        clock += pace.expovariate(rate) if rate else 0.0
        arrivals.append(clock)
    per_sender = [
        list(zip(leads[i::senders], arrivals[i::senders], strict=True)) for i in range(senders)
    ]
    started_at = time.perf_counter() + 0.5

    def sender(batch: list[tuple[dict, float]]) -> list[float]:
        session, times = requests.Session(), []
        for lead, at in batch:
            if rate and (wait := started_at + at - time.perf_counter()) > 0:
                time.sleep(wait)
            times.append(post(session, app.url, [lead]))
        return times

    before = app.count("meta_webhook_events")
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=senders) as pool:
        times = [t for ts in pool.map(sender, per_sender) for t in ts]
    wall = time.perf_counter() - started
    stored_events = app.count("meta_webhook_events") - before
    return times, wall, stored_events, wait_for_leads(app, {lead["id"] for lead in leads})


def wait_for_leads(app: App, ids: set[str], timeout: float = 120) -> int:
    """How many of *ids* are stored once the worker is done (or the timeout passes)."""
    deadline, stored = time.monotonic() + timeout, 0
    while time.monotonic() < deadline:
        engine = sa.create_engine(f"sqlite:///{app.db_path}")
        with engine.connect() as conn:
            stored = conn.execute(
                sa.select(sa.func.count())
                .select_from(sa.table("facebook_leads", sa.column("meta_lead_id")))
                .where(sa.column("meta_lead_id").in_(ids))
            ).scalar_one()
        engine.dispose()
        if stored == len(ids):
            break
        time.sleep(0.5)
    return stored


def summary(times: list[float]) -> dict[str, float]:
    return {"p50_ms": pct(times, 50) * 1000, "p95_ms": pct(times, 95) * 1000, "n": len(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="deliveries/s in all, paced run")
    parser.add_argument("--server", choices=["gunicorn", "werkzeug"], default="gunicorn")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the sandbox's access log
    state = SandboxState(leads_per_form=0, app_secret=SECRET)
    sandbox = serve_in_thread(create_sandbox_app(state))
    app = App(sandbox.graph_url, state.form_ids(), args.server)
    try:
        health = summary(healthz_baseline(app.url))
        latency = summary(bench_latency(app, state, args.leads))
        paced, paced_wall, paced_events, paced_leads = bench_ack(
            app, state, args.senders, args.posts, args.rate
        )
        burst, burst_wall, burst_events, burst_leads = bench_ack(
            app, state, args.senders, args.posts, None
        )
    finally:
        app.stop()
        sandbox.shutdown()
    results = {
        "server": args.server,
        "healthz": health,
        "webhook_to_browser": latency,
        "ack_paced": summary(paced)
        | {
            "rate": args.posts / paced_wall,
            "events_stored": paced_events,
            "leads_stored": paced_leads,
        },
        "ack_back_to_back": summary(burst)
        | {
            "rate": args.posts / burst_wall,
            "events_stored": burst_events,
            "leads_stored": burst_leads,
        },
    }
    report(results, args)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "webhook.json").write_text(json.dumps(results, indent=2))


def report(results: dict, args: argparse.Namespace) -> None:
    health, lat = results["healthz"], results["webhook_to_browser"]
    verdict = "PASS" if lat["p95_ms"] < 500 else "FAIL"
    print(
        f"server: {results['server']}; /healthz baseline p50 {health['p50_ms']:.1f} ms, "
        f"p95 {health['p95_ms']:.1f} ms"
    )
    print(
        f"(a) signed webhook POST -> lead_created at a socket client, {lat['n']} leads: "
        f"p50 {lat['p50_ms']:.0f} ms, p95 {lat['p95_ms']:.0f} ms (target < 500 ms: {verdict}; "
        f"{lat['p95_ms'] / health['p95_ms']:.0f}x healthz p95; a 5-minute poll averages 150,000 ms)"
    )
    for key, label in (("ack_paced", "paced"), ("ack_back_to_back", "back to back")):
        ack = results[key]
        lost = args.posts - ack["events_stored"]
        target = (
            f" (target < 50 ms: {'PASS' if ack['p95_ms'] < 50 else 'FAIL'})"
            if key == "ack_paced"
            else ""
        )
        print(
            f"(b) ack, {args.senders} senders {label} at {ack['rate']:.0f}/s, {ack['n']} posts: "
            f"p50 {ack['p50_ms']:.1f} ms, p95 {ack['p95_ms']:.1f} ms{target}, "
            f"{ack['p95_ms'] / health['p95_ms']:.1f}x healthz p95; events stored "
            f"{ack['events_stored']}/{args.posts} "
            f"({'none lost' if lost == 0 else f'{lost} LOST'}), "
            f"leads stored {ack['leads_stored']}/{args.posts}"
        )


if __name__ == "__main__":
    main()
