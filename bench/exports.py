"""Export benchmark: CSV through the real route (streamed, as a browser downloads it) against a
bare DBAPI cursor reading the same columns, and XLSX through the export service against bare
openpyxl write-only on the same rows; each in its own process, so peak RSS is its own.

Bars (DESIGN, Wave 2 decisions, Exports): CSV ≥ 60 % of the bare cursor's rate, XLSX ≥ 80 % of
bare openpyxl's; the issue's hopes: CSV ≥ 100,000 rows/s with peak RSS < 150 MiB at 1,000,000
rows, XLSX ≥ 30,000 rows/s.

Usage: .venv/bin/python bench/exports.py [--leads 1000000] [--xlsx-rows 100000]
                                         [--no-postgres] [--no-sqlite]
SQLite lives in bench/results/ (git-ignored); PostgreSQL in BENCH_POSTGRES_URL or mld_exports, a
database of its own (it is emptied before seeding: not the dashboard benchmark's mld_bench).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import leads_fast  # noqa: E402
from bench.common import ensure_postgres_database, make_app  # noqa: E402

RESULTS = ROOT / "bench" / "results"
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/mld_exports"
COLUMNS = "name,phone,email,country,treatment,status,score,assignee,received,campaign,form,platform"
BARE_SQL = (
    "SELECT id, first_name, last_name, phone, phone_raw, email, country_code, country, service,"
    " status, score, assigned_to_id, meta_created_at, campaign_name, campaign_id, meta_form_id,"
    " platform FROM facebook_leads WHERE deleted_at IS NULL AND duplicate_of_id IS NULL"
    " AND is_test = {false} ORDER BY id DESC"
)


def peak_mib() -> float:
    """This process's peak resident memory. Linux's VmHWM, not getrusage's ru_maxrss: a child
    inherits its parent's ru_maxrss (the parent that seeded a million leads held 880 MiB, and
    every child reported it)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> None:
    """Start the high-water mark afresh (Linux): the sign-in's scrypt check allocates 32 MiB,
    which is the sign-in's memory, not the export's."""
    clear = Path("/proc/self/clear_refs")
    if clear.exists():
        clear.write_text("5")


def child_csv(url: str) -> dict:
    """The real route, streamed chunk by chunk, as a browser would download it."""
    app = make_app(url, LOG_LEVEL="WARNING")
    client = app.test_client()
    client.post("/auth/login", data={"username": "bench", "password": "bench-password-1234"})
    before = peak_mib()
    reset_peak()
    started, size, lines = time.perf_counter(), 0, 0
    response = client.get(f"/facebook-leads/export.csv?columns={COLUMNS}", buffered=False)
    for chunk in response.response:
        size += len(chunk)
        lines += chunk.count(b"\n")
    response.close()
    seconds = time.perf_counter() - started
    return {
        "rows": lines - 1,
        "seconds": seconds,
        "bytes": size,
        "peak_mib": peak_mib(),
        "peak_mib_with_sign_in": max(before, peak_mib()),
    }


def bare_rows(url: str):
    """Rows straight from a DBAPI cursor (the baseline's read)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    false = "0" if url.startswith("sqlite") else "false"
    connection = engine.raw_connection()
    cursor = connection.cursor()
    cursor.execute(BARE_SQL.format(false=false))
    while batch := cursor.fetchmany(2000):
        yield from batch
    connection.close()
    engine.dispose()


def child_bare(url: str) -> dict:
    started, count = time.perf_counter(), 0
    for _ in bare_rows(url):
        count += 1
    return {"rows": count, "seconds": time.perf_counter() - started, "peak_mib": peak_mib()}


def child_xlsx(url: str, limit: int) -> dict:
    """The export service's XLSX (what the background job writes)."""
    from app.extensions import db
    from app.services import exports
    from app.services.lead_selection import from_request

    app = make_app(url, LOG_LEVEL="WARNING")
    with app.app_context(), app.test_request_context(), tempfile.TemporaryDirectory() as folder:
        user = leads_fast.bench_user()
        columns = exports.parse_columns(COLUMNS)
        started = time.perf_counter()
        rows = exports.Counted(
            exports.iter_rows(user, from_request({}), columns, app.config["APP_TIMEZONE"]), limit
        )
        exports.write_xlsx(iter(rows), exports.headers(columns), Path(folder) / "x.xlsx")
        seconds = time.perf_counter() - started
        db.session.remove()
    return {"rows": rows.count, "seconds": seconds, "peak_mib": peak_mib()}


def child_xlsx_bare(url: str, limit: int) -> dict:
    """Bare openpyxl write-only over the bare cursor's rows."""
    from openpyxl import Workbook

    started, count = time.perf_counter(), 0
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Leads")
    for row in bare_rows(url):
        if count >= limit:
            break
        # Excel holds no time zones: PostgreSQL's aware datetimes go in naive (SQLite's are text).
        sheet.append([v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row])
        count += 1
    with tempfile.TemporaryDirectory() as folder:
        workbook.save(Path(folder) / "x.xlsx")
    return {"rows": count, "seconds": time.perf_counter() - started, "peak_mib": peak_mib()}


def run_child(mode: str, url: str, limit: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--url", url, "--xlsx-rows", str(limit)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ | {"LOG_LEVEL": "WARNING"},
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    figures["rows_per_s"] = figures["rows"] / figures["seconds"]
    return figures


def seed(url: str, leads: int) -> None:
    app = make_app(url)
    with app.app_context():
        started = time.perf_counter()
        leads_fast.seed(leads, app.config["APP_TIMEZONE"])
        print(f"  seeded {leads:,} leads in {time.perf_counter() - started:.0f} s", flush=True)


def bench(name: str, url: str, leads: int, xlsx_rows: int) -> dict:
    print(f"[{name}] {leads:,} leads", flush=True)
    if url.startswith("postgresql"):
        ensure_postgres_database(url)
    seed(url, leads)
    figures = {mode: run_child(mode, url, xlsx_rows) for mode in ("bare", "csv")}
    figures |= {mode: run_child(mode, url, xlsx_rows) for mode in ("xlsx_bare", "xlsx")}
    csv_ratio = figures["csv"]["rows_per_s"] / figures["bare"]["rows_per_s"]
    xlsx_ratio = figures["xlsx"]["rows_per_s"] / figures["xlsx_bare"]["rows_per_s"]
    for mode, f in figures.items():
        print(
            f"  {mode:10s} {f['rows']:>9,} rows in {f['seconds']:6.2f} s = "
            f"{f['rows_per_s']:>9,.0f} rows/s, peak RSS {f['peak_mib']:.0f} MiB"
        )
    print(f"  CSV  at {csv_ratio:.0%} of the bare cursor read (bar: ≥ 60 %)")
    print(f"  XLSX at {xlsx_ratio:.0%} of bare openpyxl write-only (bar: ≥ 80 %)", flush=True)
    return figures | {"csv_ratio": csv_ratio, "xlsx_ratio": xlsx_ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--child")
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        modes = {
            "csv": lambda: child_csv(args.url),
            "bare": lambda: child_bare(args.url),
            "xlsx": lambda: child_xlsx(args.url, args.xlsx_rows),
            "xlsx_bare": lambda: child_xlsx_bare(args.url, args.xlsx_rows),
        }
        print(json.dumps(modes[args.child]()))
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    urls = {}
    if not args.no_sqlite:
        urls["sqlite"] = f"sqlite:///{RESULTS / 'exports.sqlite'}"
    if not args.no_postgres:
        urls["postgresql"] = os.environ.get("BENCH_POSTGRES_URL") or LOCAL_POSTGRES
    results = {name: bench(name, url, args.leads, args.xlsx_rows) for name, url in urls.items()}
    (RESULTS / f"exports-{args.leads}.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
