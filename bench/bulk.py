"""Bulk status change benchmark: 10,000 matching leads (one day's, `status=new`, selected by
the dashboard's filter) moved to `contacted` by the bulk service, timed to job completion
(count, batches of 1,000 with undo items, timeline rows, milestones and counters, a commit
each), against a bare Core UPDATE of another day's 10,000 leads in the same run.

Hope (issue 10): p95 < 300 ms at 1,000,000 leads (the prototype: 1,512 ms).

Usage: .venv/bin/python bench/bulk.py [--leads 1000000] [--runs 7] [--no-postgres] [--no-sqlite]
SQLite lives in bench/results/ (git-ignored); PostgreSQL in BENCH_POSTGRES_URL or mld_bulk, a
database of its own (it is emptied before seeding: not the dashboard benchmark's mld_bench).
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.extensions import db  # noqa: E402
from app.models import FacebookLead  # noqa: E402
from app.services import bulk  # noqa: E402
from app.services.lead_filters import day_start  # noqa: E402
from app.services.lead_selection import from_request  # noqa: E402
from app.tasks import bulk_jobs  # noqa: E402
from bench import leads_fast  # noqa: E402
from bench.common import ensure_postgres_database, make_app  # noqa: E402

RESULTS = ROOT / "bench" / "results"
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/mld_bulk"
LEADS = FacebookLead.__table__


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def bulk_change(app, day_index: int) -> tuple[float, int]:
    """The bulk service over one day's leads, as the route runs it; (seconds, changed)."""
    day = leads_fast.day_of(day_index * leads_fast.PER_DAY).isoformat()
    tz = app.config["APP_TIMEZONE"]
    with app.app_context():
        actor = leads_fast.bench_user()
        selection = from_request({"status": "new", "date_from": day, "date_to": day})
        db.session.commit()
        started = time.perf_counter()
        job = bulk.prepare_job(actor, "status", selection, params={"status": "contacted"}, tz=tz)
        db.session.commit()
        bulk_jobs.run_job(job.id, selection)
        elapsed = time.perf_counter() - started
        changed = db.session.get(type(job), job.id).changed
        db.session.remove()
    return elapsed, changed


def bare_update(app, day_index: int) -> tuple[float, int]:
    """The same change as one Core UPDATE with the same WHERE, nothing else."""
    day = leads_fast.day_of(day_index * leads_fast.PER_DAY)
    tz = app.config["APP_TIMEZONE"]
    with app.app_context():
        started = time.perf_counter()
        result = db.session.execute(
            sa.update(LEADS)
            .where(
                LEADS.c.status == "new",
                LEADS.c.deleted_at.is_(None),
                LEADS.c.duplicate_of_id.is_(None),
                LEADS.c.is_test.is_(False),
                LEADS.c.meta_created_at >= day_start(day, tz),
                LEADS.c.meta_created_at < day_start(day + timedelta(days=1), tz),
            )
            .values(status="contacted", version_id=LEADS.c.version_id + 1)
        )
        db.session.commit()
        elapsed = time.perf_counter() - started
        db.session.remove()
    return elapsed, result.rowcount


def bench(name: str, url: str, leads: int, runs: int) -> dict:
    print(f"[{name}] {leads:,} leads", flush=True)
    if url.startswith("postgresql"):
        ensure_postgres_database(url)
    app = make_app(url, LOG_LEVEL="WARNING")
    with app.app_context():
        started = time.perf_counter()
        leads_fast.seed(leads, app.config["APP_TIMEZONE"])
        print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
    days = leads // leads_fast.PER_DAY
    if days < 2 * runs + 2:
        raise SystemExit(f"--leads {leads} holds {days} days; need {2 * runs + 2}")
    ours, bare = [], []
    for run in range(runs + 1):  # interleaved, so drift hits both alike; run 0 warms up
        seconds, changed = bulk_change(app, days - 1 - 2 * run)
        bare_seconds, bare_changed = bare_update(app, days - 2 - 2 * run)
        assert changed == bare_changed == leads_fast.PER_DAY, (changed, bare_changed)
        if run:
            ours.append(seconds)
            bare.append(bare_seconds)
    figures = {
        "bulk_p50_ms": statistics.median(ours) * 1000,
        "bulk_p95_ms": p95(ours) * 1000,
        "bare_p50_ms": statistics.median(bare) * 1000,
        "bare_p95_ms": p95(bare) * 1000,
    }
    figures["ratio_p95"] = figures["bulk_p95_ms"] / figures["bare_p95_ms"]
    size, f = leads_fast.PER_DAY, figures
    print(
        f"  bulk status change of {size:,} leads: p50 {f['bulk_p50_ms']:.0f} ms,"
        f" p95 {f['bulk_p95_ms']:.0f} ms (hope: < 300 ms)\n"
        f"  bare Core UPDATE of {size:,} leads:   p50 {f['bare_p50_ms']:.0f} ms,"
        f" p95 {f['bare_p95_ms']:.0f} ms\n"
        f"  bulk/bare at p95: {f['ratio_p95']:.1f}×",
        flush=True,
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    urls = {}
    if not args.no_sqlite:
        urls["sqlite"] = f"sqlite:///{RESULTS / 'bulk.sqlite'}"
    if not args.no_postgres:
        urls["postgresql"] = os.environ.get("BENCH_POSTGRES_URL") or LOCAL_POSTGRES
    results = {name: bench(name, url, args.leads, args.runs) for name, url in urls.items()}
    (RESULTS / f"bulk-{args.leads}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
