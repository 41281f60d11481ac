"""Ingestion benchmark (issue: the lead pipeline).

(a) Ingest N Graph-shaped raw leads (already fetched) into an empty database through
    `ingest_raw_leads`, against a floor measured in the same run: normalising the same leads
    plus a bare SQLAlchemy Core `executemany` of the resulting rows.
(b) End to end: `flask meta sync` (a real subprocess) of N leads served by the Meta sandbox
    over HTTP, into an empty database.

Usage: .venv/bin/python bench/ingest.py [--leads 10000] [--repeat 3] [--no-postgres]
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.extensions import db  # noqa: E402
from app.meta.normalize import normalize_lead  # noqa: E402
from app.services import accounts, meta_configs  # noqa: E402
from app.services.meta_lead_service import LEADS, LeadSource, ingest_raw_leads  # noqa: E402
from bench.common import database_urls, fresh_schema, make_app, timed  # noqa: E402
from sandbox import (  # noqa: E402
    DEFAULT_PAGE_ID,
    DEFAULT_PAGE_TOKEN,
    SandboxState,
    create_sandbox_app,
    serve_in_thread,
)


def generate(count: int) -> list[dict]:
    state = SandboxState(leads_per_form=0)
    forms = state.form_ids()
    for index, form_id in enumerate(forms):
        state.add_bulk(form_id, count // len(forms) + (1 if index < count % len(forms) else 0))
    return [lead for form_id in forms for lead in state.leads_of(form_id)]


def floor_rows(raws: list[dict], now: datetime) -> list[dict]:
    rows = []
    for raw in raws:
        values = normalize_lead(raw, today=now.date()).values
        values.update(
            meta_page_id=DEFAULT_PAGE_ID,
            distributor_id=None,
            status="new",
            score=0,
            score_breakdown=None,
            assigned_to_id=None,
            duplicate_of_id=None,
            created_at=now,
            updated_at=now,
            version_id=1,
        )
        rows.append(values)
    return rows


def bench_ingest(url: str, raws: list[dict], repeat: int) -> dict:
    app = make_app(url)
    source = LeadSource(None, DEFAULT_PAGE_ID, None, None)
    n = len(raws)
    with app.app_context():

        def floor() -> None:
            rows = floor_rows(raws, datetime.now(UTC))
            with db.engine.begin() as conn:
                conn.execute(LEADS.insert(), rows)

        def ingest_once() -> None:
            result = ingest_raw_leads(raws, source, announce_events=False)
            db.session.commit()
            assert result.created == n, result

        def ingest_pages() -> None:
            for start in range(0, n, 100):
                ingest_raw_leads(raws[start : start + 100], source, announce_events=False)
                db.session.commit()

        floor_s = timed(floor, repeat, fresh_schema)
        ingest_s = timed(ingest_once, repeat, fresh_schema)
        pages_s = timed(ingest_pages, repeat, fresh_schema)
        fresh_schema()
    return {
        "floor_leads_per_s": n / floor_s,
        "ingest_leads_per_s": n / ingest_s,
        "ingest_vs_floor": ingest_s / floor_s,
        "ingest_pages_of_100_leads_per_s": n / pages_s,
    }


def bench_sync(url: str, count: int) -> dict:
    """`flask meta sync` of *count* sandbox leads over HTTP into an empty database."""
    state = SandboxState(leads_per_form=0)
    form_id = state.form_ids()[0]
    state.add_bulk(form_id, count)
    server = serve_in_thread(create_sandbox_app(state))
    app = make_app(url, META_GRAPH_URL=server.graph_url)
    try:
        with app.app_context():
            fresh_schema()
            distributor = accounts.create_distributor("Bench")
            meta_configs.add_config(
                distributor, page_id=DEFAULT_PAGE_ID, form_ids=[form_id], token=DEFAULT_PAGE_TOKEN
            )
            db.session.commit()
        env = os.environ | {
            "FLASK_APP": "wsgi.py",
            "APP_ENV": "development",
            "DATABASE_URL": url,
            "META_GRAPH_URL": server.graph_url,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "TOKEN_ENCRYPTION_KEYS": app.config["TOKEN_ENCRYPTION_KEYS"],
            "META_SANDBOX": "0",
            "SCHEDULER_ENABLED": "0",
            "LOG_LEVEL": "WARNING",
        }
        started = time.perf_counter()
        proc = subprocess.run(
            [str(Path(sys.executable).parent / "flask"), "meta", "sync"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - started
        with app.app_context():
            stored = db.session.scalar(db.select(db.func.count()).select_from(LEADS))
    finally:
        server.shutdown()
    summary = [line for line in proc.stdout.splitlines() if line.startswith("config ")]
    return {"sync_wall_s": wall, "stored": stored, "cli_summary": summary}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    raws = generate(args.leads)
    results = {}
    for name, url in database_urls(not args.no_postgres).items():
        figures = bench_ingest(url, raws, args.repeat) | bench_sync(url, args.leads)
        results[name] = figures
        print(
            f"[{name}] (a) {args.leads:,} leads: "
            f"ingest {figures['ingest_leads_per_s']:,.0f} leads/s, "
            f"floor {figures['floor_leads_per_s']:,.0f} leads/s, ingest/floor time "
            f"{figures['ingest_vs_floor']:.2f}x; in pages of 100 with a commit each "
            f"{figures['ingest_pages_of_100_leads_per_s']:,.0f} leads/s"
        )
        print(
            f"[{name}] (b) flask meta sync of {args.leads:,} sandbox leads over HTTP: "
            f"{figures['sync_wall_s']:.2f} s wall ({figures['stored']:,} stored)"
        )
        for line in figures["cli_summary"]:
            print(f"[{name}]     {line}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "ingest.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
