"""Access-log benchmark (issue 16, item 5: written without slowing the page).

Times a lead page (GET /facebook-leads/<id> as a superadmin, test client, in one process;
the three modes interleaved request by request)
with the access log as built (a buffered row written by the runner in one insert) against the
baseline of the same page with no logging at all, and against a naive log (one INSERT and a
COMMIT inside each request), all measured in this run on the same database. Then checks that
every buffered row reached the table.

Usage: .venv/bin/python bench/access_log.py [--requests 400] [--postgres]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa  # noqa: E402

from app.blueprints import access  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import AccessLog, Role  # noqa: E402
from bench.common import database_urls, fresh_schema, make_app  # noqa: E402
from tests import factories  # noqa: E402


def naive_log(action, lead_id=None, detail=None) -> None:
    db.session.add(AccessLog(action=action, lead_id=lead_id, detail=detail))
    db.session.commit()


def time_pages(client, url: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        assert client.get(url).status_code == 200
        times.append(time.perf_counter() - started)
    return times


def run(url: str, count: int) -> dict[str, float]:
    app = make_app(url, DEFAULT_LOCALE="en")
    with app.app_context():
        fresh_schema()
        factories.make_user("admin", role=Role.SUPERADMIN)
        lead = factories.make_lead()
        db.session.commit()
        page = f"/facebook-leads/{lead.id}"
    client = app.test_client()
    client.post("/auth/login", data={"username": "admin", "password": "correct-horse"})
    time_pages(client, page, 20)  # warm up
    import app.blueprints.leads.routes as routes

    real = access.log_access
    modes = {"none": lambda *a, **k: None, "buffered": real, "naive": naive_log}
    times: dict[str, list[float]] = {name: [] for name in modes}
    for _ in range(count):  # interleaved, so a busy machine weighs on every mode alike
        for name, logger in modes.items():
            routes.log_access = logger
            times[name] += time_pages(client, page, 1)
    results = {name: statistics.median(values) * 1000 for name, values in times.items()}
    routes.log_access = real
    app.extensions["task_runner"].shutdown()
    with app.app_context():
        rows = db.session.scalar(sa.select(sa.func.count()).select_from(AccessLog))
        db.engine.dispose()
    results["rows"] = rows
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    for name, url in database_urls(args.postgres).items():
        r = run(url, args.requests)
        print(
            f"{name}: lead page median {r['none']:.2f} ms without a log, "
            f"{r['buffered']:.2f} ms buffered ({r['buffered'] / r['none']:.2f}x), "
            f"{r['naive']:.2f} ms with an insert+commit per request "
            f"({r['naive'] / r['none']:.2f}x); rows written {r['rows']} "
            f"(expected {2 * args.requests + 20})"
        )


if __name__ == "__main__":
    main()
