"""Ingestion benchmark (issue: the lead pipeline).

(a) Ingest N Graph-shaped raw leads (already fetched) into an empty database through
    `ingest_raw_leads`, against a floor measured in the same run: normalising the same leads
    plus a bare SQLAlchemy Core `executemany` of the resulting rows.
(b) End to end: `flask meta sync` (a real subprocess) of N leads served by the Meta sandbox
    over HTTP, into an empty database.
(c) Routing on against off (issue 13: at most 10 % more ingest time): N fresh leads (received
    in the last 12 hours) ingested with two routing rules over five staff, against the same
    leads with no rules, in one batch and in pages of 100. Both store response targets.
(d) The analytics rollup's triggers (they mark the day of every lead written) on against
    off (dropped), the same leads in one batch and in pages of 100.
    (c) and (d) keep each side in a database of its own and interleave them (batches in
    turn, pages in turn): this machine's speed moves by ±10 % from one second to the next,
    more than what is measured, and whole runs one after the other caught it on one side.

Usage: .venv/bin/python bench/ingest.py [--leads 10000] [--repeat 3] [--no-postgres]
                                        [--only a,b,c,d] [--events]
    --events: (c) announces the leads as the poll and the webhook do (socket events, new-lead
    alerts, each owner's notice of what routing gave them); without it, storing alone.
"""

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.extensions import db  # noqa: E402
from app.meta.normalize import normalize_lead  # noqa: E402
from app.services import accounts, meta_configs  # noqa: E402
from app.services.meta_lead_service import LEADS, LeadSource, ingest_raw_leads  # noqa: E402
from app.services.routing import rules  # noqa: E402
from bench.common import (  # noqa: E402
    database_urls,
    ensure_postgres_database,
    fresh_schema,
    make_app,
    timed,
)
from sandbox import (  # noqa: E402
    DEFAULT_PAGE_ID,
    DEFAULT_PAGE_TOKEN,
    SandboxState,
    create_sandbox_app,
    serve_in_thread,
)


def generate(count: int, spread_days: float = 30) -> list[dict]:
    state = SandboxState(leads_per_form=0)
    forms = state.form_ids()
    for index, form_id in enumerate(forms):
        size = count // len(forms) + (1 if index < count % len(forms) else 0)
        state.add_bulk(form_id, size, spread_days=spread_days)
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


def add_staff() -> list:
    """Five staff (both sides of the comparison have them: only the rules differ)."""
    staff = [accounts.create_user(f"staff{i}", "correct-horse-battery") for i in range(5)]
    db.session.commit()
    return staff


def add_rules(staff: list) -> None:
    """Five staff on shift at any hour; a German-speaking rule, then everyone else."""
    rules.create_rule(
        rules.RuleInput(name="German", staff_ids=[u.id for u in staff[:2]], language="de")
    )
    rules.create_rule(
        rules.RuleInput(name="Everyone", staff_ids=[u.id for u in staff], strategy="least_loaded")
    )
    db.session.commit()


def sibling_url(url: str) -> str:
    """A second database of *url*'s kind (created when needed), for the side measured
    against it."""
    target = make_url(url)
    if target.get_backend_name() == "sqlite":
        path = Path(target.database)
        return str(target.set(database=str(path.with_name(f"{path.stem}_on{path.suffix}"))))
    sibling = target.set(database=f"{target.database}_on")
    ensure_postgres_database(sibling.render_as_string(hide_password=False))
    return sibling.render_as_string(hide_password=False)


def on_against_off(
    url: str,
    raws: list[dict],
    repeat: int,
    setups: dict[str, Callable[[], None]],
    *,
    after: Callable[[], dict] = dict,
    announce: bool = False,
    **config,
) -> dict:
    """Ingest time of *raws* after the "off" setup against after the "on" one, each side in a
    database of its own, interleaved: one batch a side in turn (the first side swapped each
    trial), and pages of 100 taken in turn (swapped each page), so a slower moment of this
    machine weighs on both sides alike; the two databases swap sides each trial. The
    overhead is the median over *repeat* trials of each trial's on/off time; the spread of
    the trials is given too. *after* runs on the last "on" side (its figures are returned
    too). *announce*: the leads are announced as the poll and the webhook announce them
    (events, alerts, owners' notices)."""
    databases = [make_app(url, **config), make_app(sibling_url(url), **config)]
    apps: dict[str, Flask] = {}
    source = LeadSource(None, DEFAULT_PAGE_ID, None, None)

    def prepare(trial: int) -> None:
        apps.update(zip(("off", "on")[:: 1 if trial % 2 == 0 else -1], databases, strict=True))
        for side, app in apps.items():
            with app.app_context():
                setups[side]()
        gc.collect()

    def ingest(side: str, part: list[dict]) -> float:
        with apps[side].app_context():
            started = time.perf_counter()
            stored = ingest_raw_leads(part, source, announce_events=announce)
            assert stored.created == len(part)
            db.session.commit()
            return time.perf_counter() - started

    parts = {"batch": [raws], "pages": [raws[i : i + 100] for i in range(0, len(raws), 100)]}
    figures = {}
    for name, chunks in parts.items():
        trials: list[dict[str, float]] = []
        for trial in range(repeat):
            prepare(trial)
            totals = dict.fromkeys(apps, 0.0)
            for index, chunk in enumerate(chunks):
                for side in ("off", "on") if (trial + index) % 2 == 0 else ("on", "off"):
                    totals[side] += ingest(side, chunk)
            trials.append(totals)
        overheads = sorted(t["on"] / t["off"] - 1 for t in trials)
        figures[name] = {
            "off_s": statistics.median(t["off"] for t in trials),
            "on_s": statistics.median(t["on"] for t in trials),
            "overhead": statistics.median(overheads),
            "overhead_range": [overheads[0], overheads[-1]],
        }
    with apps["on"].app_context():
        figures |= after()
    for app in databases:
        with app.app_context():
            fresh_schema()
    return figures


def with_staff(rules: bool) -> Callable[[], None]:
    def setup() -> None:
        fresh_schema()
        staff = add_staff()
        if rules:
            add_rules(staff)

    return setup


def routed_count() -> dict:
    """How many leads the last trial routed (a check that the "on" side did route)."""
    assigned = LEADS.c.assigned_to_id.is_not(None)
    count = db.select(db.func.count()).select_from(LEADS).where(assigned)
    return {"routed": db.session.scalar(count)}


def bench_routing(url: str, raws: list[dict], repeat: int, announce: bool) -> dict:
    """Ingest time with routing rules against none (same fresh leads, same run)."""
    setups = {"off": with_staff(rules=False), "on": with_staff(rules=True)}
    figures = on_against_off(
        url, raws, repeat, setups, after=routed_count, announce=announce, TEAM_WORK_HOURS="1234567"
    )
    return {"routing": figures}


def drop_rollup_triggers() -> None:
    """The schema without the analytics rollup's triggers (the cost they add, measured)."""
    fresh_schema()
    on = " ON facebook_leads" if db.engine.dialect.name == "postgresql" else ""
    for event in ("insert", "update", "delete"):
        db.session.execute(db.text(f"DROP TRIGGER analytics_dirty_{event}{on}"))
    db.session.commit()


def bench_triggers(url: str, raws: list[dict], repeat: int) -> dict:
    """Ingest time with the rollup's triggers against without them (same leads, same run)."""
    setups = {"off": drop_rollup_triggers, "on": fresh_schema}
    return {"triggers": on_against_off(url, raws, repeat, setups)}


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


def print_on_off(name: str, what: str, figures: dict, after: str = "") -> None:
    for how, label in (("batch", "one batch"), ("pages", "pages of 100")):
        r = figures[how]
        low, high = r["overhead_range"]
        print(
            f"[{name}] {what}, {label}: on {r['on_s']:.2f} s, off {r['off_s']:.2f} s, "
            f"overhead {r['overhead']:+.1%} (trials {low:+.1%} to {high:+.1%}){after}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--only", default="a,b,c,d", help="the parts to run")
    parser.add_argument("--events", action="store_true", help="(c): announce the leads too")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    raws = generate(args.leads)
    fresh = generate(args.leads, spread_days=0.5)
    results = {}
    for name, url in database_urls(not args.no_postgres).items():
        figures = {}
        if "a" in parts:
            figures |= bench_ingest(url, raws, args.repeat)
            print(
                f"[{name}] (a) {args.leads:,} leads: "
                f"ingest {figures['ingest_leads_per_s']:,.0f} leads/s, "
                f"floor {figures['floor_leads_per_s']:,.0f} leads/s, ingest/floor time "
                f"{figures['ingest_vs_floor']:.2f}x; in pages of 100 with a commit each "
                f"{figures['ingest_pages_of_100_leads_per_s']:,.0f} leads/s"
            )
        if "b" in parts:
            figures |= bench_sync(url, args.leads)
            print(
                f"[{name}] (b) flask meta sync of {args.leads:,} sandbox leads over HTTP: "
                f"{figures['sync_wall_s']:.2f} s wall ({figures['stored']:,} stored)"
            )
            for line in figures["cli_summary"]:
                print(f"[{name}]     {line}")
        if "c" in parts:
            figures |= bench_routing(url, fresh, args.repeat, args.events)
            what = f"(c) routing {args.leads:,} fresh leads" + (", events on" * args.events)
            routed = f" (target <= +10%); {figures['routing']['routed']:,} routed"
            print_on_off(name, what, figures["routing"], routed)
        if "d" in parts:
            figures |= bench_triggers(url, raws, args.repeat)
            print_on_off(name, f"(d) analytics triggers, {args.leads:,} leads", figures["triggers"])
        results[name] = figures
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "ingest.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
