"""Routing benchmark (issue 13): `flask leads auto-assign` of a 100,000-lead unassigned
backlog (target: under 10 s), against a floor measured in the same run: one bare UPDATE per
owner giving the same leads the same owners.

Usage: .venv/bin/python bench/routing.py [--leads 100000] [--no-postgres]
"""

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from app.extensions import db  # noqa: E402
from app.services import accounts, lead_counters  # noqa: E402
from app.services.meta_lead_service import LEADS  # noqa: E402
from app.services.routing import rules  # noqa: E402
from bench.common import database_urls, fresh_schema, make_app  # noqa: E402

STAFF = 8
COUNTRIES = ("TR", "DE", "GB", "SA", "NL", None)
TREATMENTS = ("hair_transplant", "dental_implants", "rhinoplasty", "ivf", None)


def backlog_rows(count: int, now: datetime) -> list[dict]:
    """Unassigned new leads received over the last 60 days (old: only backlog rules)."""
    return [
        {
            "meta_lead_id": f"7{i:014d}",
            "is_organic": False,
            "is_test": False,
            "form_data": [],
            "status": "new",
            "score": i % 101,
            "service": TREATMENTS[i % len(TREATMENTS)],
            "country_code": COUNTRIES[i % len(COUNTRIES)],
            "meta_created_at": now - timedelta(minutes=i % (60 * 24 * 60)),
            "created_at": now,
            "updated_at": now,
            "version_id": 1,
        }
        for i in range(count)
    ]


def seed(count: int) -> list[int]:
    """The backlog, its counters, staff and three rules that take the backlog."""
    fresh_schema()
    now = datetime.now(UTC)
    rows = backlog_rows(count, now)
    for start in range(0, count, 10_000):
        db.session.execute(LEADS.insert(), rows[start : start + 10_000])
    lead_counters.recount()
    staff = [accounts.create_user(f"staff{i}", "correct-horse-battery") for i in range(STAFF)]
    db.session.flush()
    ids = [u.id for u in staff]
    for name, values in (
        ("German hair", {"country_code": "DE", "treatment": "hair_transplant"}),
        ("Hot leads", {"score_min": 70, "strategy": "least_loaded"}),
        ("Everyone", {}),
    ):
        data = rules.RuleInput(name=name, staff_ids=ids, include_backlog=True, **values)
        rules.create_rule(data)
    db.session.commit()
    return ids


def floor(staff: list[int]) -> float:
    """One UPDATE per owner over id ranges: the least any assignment of the backlog costs."""
    ids = db.session.scalars(sa.select(LEADS.c.id).order_by(LEADS.c.id)).all()
    started = time.perf_counter()
    for index, user_id in enumerate(staff):
        chunk = ids[index :: len(staff)]
        for start in range(0, len(chunk), 1000):
            db.session.execute(
                sa.update(LEADS)
                .where(LEADS.c.id.in_(chunk[start : start + 1000]))
                .values(assigned_to_id=user_id, status="assigned")
            )
    db.session.commit()
    return time.perf_counter() - started


def bench(url: str, count: int) -> dict:
    app = make_app(url, TEAM_WORK_HOURS="1234567", LOG_LEVEL="WARNING")
    runner = app.test_cli_runner()
    with app.app_context():
        staff = seed(count)
        floor_s = floor(staff)
        seed(count)
        db.session.remove()
    started = time.perf_counter()
    out = runner.invoke(args=["leads", "auto-assign"])
    wall = time.perf_counter() - started
    assert out.exit_code == 0, out.output
    with app.app_context():
        assigned = db.session.scalar(
            sa.select(sa.func.count()).where(LEADS.c.assigned_to_id.is_not(None))
        )
        per_user = db.session.execute(
            sa.select(LEADS.c.assigned_to_id, sa.func.count()).group_by(LEADS.c.assigned_to_id)
        ).all()
        fresh_schema()
    return {
        "auto_assign_s": wall,
        "floor_s": floor_s,
        "ratio": wall / floor_s,
        "assigned": assigned,
        "spread": sorted(n for _, n in per_user),
        "cli": out.output.strip(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    results = {}
    for name, url in database_urls(not args.no_postgres).items():
        figures = bench(url, args.leads)
        results[name] = figures
        print(
            f"[{name}] flask leads auto-assign of {args.leads:,} unassigned leads: "
            f"{figures['auto_assign_s']:.2f} s (target < 10 s), {figures['assigned']:,} assigned; "
            f"floor (bare UPDATEs) {figures['floor_s']:.2f} s, ratio {figures['ratio']:.1f}x; "
            f"per person {figures['spread'][0]:,}–{figures['spread'][-1]:,}"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "routing.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
