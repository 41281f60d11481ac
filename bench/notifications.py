"""Notifications benchmark (issue 11).

(a) Ingest N fresh Graph-shaped leads (in pages of 500, one commit each, as a poll does) with
    new-lead alerts on (ALERT_MIN_SCORE=0: every lead qualifies; three superadmins and the
    distributor's contact receive them) against the same ingest with alerts off, measured in
    the same run. Target: on ≤ 1.10 × off (the queueing is set based, in the insert
    transaction; past ten a minute the rest go into one digest per recipient).
(b) The sender: M queued single-lead mails rendered (HTML + text) and delivered to a local
    aiosmtpd over one connection per batch. Target: ≥ 200 mails/s.

Usage: .venv/bin/python bench/notifications.py [--leads 10000] [--mails 1000] [--repeat 5]
       [--no-postgres]
"""

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app.extensions import db  # noqa: E402
from app.models import FacebookLead, OutboxMail, Role  # noqa: E402
from app.services import accounts, mail_outbox, notifications  # noqa: E402
from app.services.meta_lead_service import LeadSource, ingest_raw_leads  # noqa: E402
from app.tasks import mail_jobs  # noqa: E402
from bench.common import database_urls, fresh_schema, make_app  # noqa: E402
from bench.ingest import generate  # noqa: E402
from sandbox import DEFAULT_PAGE_ID  # noqa: E402
from tests.mail_server import free_port  # noqa: E402

PAGE = 500


def fresh(raws: list[dict]) -> list[dict]:
    """The leads as if Meta listed them minutes ago (alerts are for fresh leads only)."""
    now = datetime.now(UTC)
    stamp = [
        (now - timedelta(seconds=n % 600)).strftime("%Y-%m-%dT%H:%M:%S+0000")
        for n in range(len(raws))
    ]
    return [raw | {"created_time": stamp[n]} for n, raw in enumerate(raws)]


def people() -> int:
    """Three superadmins with addresses and a distributor with a contact; its id."""
    for n in range(3):
        accounts.create_user(
            f"boss{n}", "correct-horse", role=Role.SUPERADMIN, email=f"boss{n}@example.com"
        )
    distributor = accounts.create_distributor("Bench", "partner@example.com", "tr")
    db.session.commit()
    return distributor.id


def ingest_once(raws: list[dict]) -> float:
    """Time to ingest *raws* in pages of PAGE (one commit each) into a fresh schema."""
    fresh_schema()
    source = LeadSource(people(), DEFAULT_PAGE_ID, None, None)
    started = time.perf_counter()
    for start in range(0, len(raws), PAGE):
        ingest_raw_leads(raws[start : start + PAGE], source)
        db.session.commit()
    return time.perf_counter() - started


def bench_alerts(url: str, raws: list[dict], repeat: int) -> dict:
    """Alerts off and on, alternated (off, on, off, on…) so that a machine that warms up or
    gets busy mid-run weighs on both alike; the median of each."""
    apps = {"off": make_app(url, ALERT_MIN_SCORE=10_000), "on": make_app(url, ALERT_MIN_SCORE=0)}
    times: dict[str, list[float]] = {"off": [], "on": []}
    results = {}
    for _ in range(repeat):
        for label, app in apps.items():
            with app.app_context():
                times[label].append(ingest_once(raws))
                mails = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail))
                digests = db.session.scalars(
                    sa.select(OutboxMail).where(OutboxMail.kind == "new_lead_digest")
                ).all()
                results[f"{label}_mails_queued"] = mails
                results[f"{label}_leads_in_digests"] = sum(
                    len(notifications.digest_lead_ids(mail)) for mail in digests
                )
                fresh_schema()
    off, on = (statistics.median(times[label]) for label in ("off", "on"))
    n = len(raws)
    return {
        "alerts_off_leads_per_s": n / off,
        "alerts_on_leads_per_s": n / on,
        "on_vs_off": on / off,
        "mails_queued_with_alerts_on": results["on_mails_queued"],
        "leads_in_digests": results["on_leads_in_digests"],
    }


def start_smtp_process(port: int) -> subprocess.Popen:
    """aiosmtpd in its own process (a server in this one would compete for its GIL)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
        + ["-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("aiosmtpd did not start")


def bench_sender(url: str, raws: list[dict], count: int) -> dict:
    port = free_port()
    server = start_smtp_process(port)
    app = make_app(url, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False)
    try:
        with app.app_context():
            fresh_schema()
            source = LeadSource(None, DEFAULT_PAGE_ID, None, None)
            ingest_raw_leads(raws[:count], source, announce_events=False)
            db.session.commit()
            ids = db.session.scalars(sa.select(FacebookLead.id).limit(count)).all()
            mail_outbox.queue_mails(
                {
                    "kind": "new_lead",
                    "recipient": f"r{n}@example.com",
                    "lead_id": lead_id,
                    "language": "tr" if n % 2 else "en",
                    "dedupe_key": f"bench:{n}",
                }
                for n, lead_id in enumerate(ids)
            )
            db.session.commit()
            started = time.perf_counter()
            outcome = mail_jobs.send_pending()
            elapsed = time.perf_counter() - started
            fresh_schema()
    finally:
        server.terminate()
        server.wait(10)
    assert outcome == {"sent": len(ids)}, outcome
    return {"mails_sent": len(ids), "sender_mails_per_s": len(ids) / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--mails", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    raws = fresh(generate(args.leads))
    report = {}
    for name, url in database_urls(not args.no_postgres).items():
        report[name] = bench_alerts(url, raws, args.repeat) | bench_sender(url, raws, args.mails)
        print(name, json.dumps(report[name], indent=2), flush=True)


if __name__ == "__main__":
    main()
