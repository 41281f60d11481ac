"""Helpers shared by the benchmarks: throwaway databases and apps."""

import gc
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from app import create_app
from app.database import empty_database
from app.extensions import db
from config import TestConfig

LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def database_urls(include_postgres: bool) -> dict[str, str]:
    urls = {"sqlite": f"sqlite:///{Path(tempfile.mkdtemp(prefix='mld-bench-')) / 'bench.sqlite'}"}
    if include_postgres:
        base = (
            os.environ.get("BENCH_POSTGRES_URL")
            or os.environ.get("TEST_DATABASE_URL")
            or LOCAL_POSTGRES
        )
        urls["postgresql"] = base
    return urls


def make_app(url: str, **overrides):
    # Passwords hashed as in production (scrypt), not with the test suite's cheap method: a
    # sign-in's cost and memory are part of what some benchmarks measure.
    values = {"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": "scrypt", **overrides}
    config = type("BenchConfig", (TestConfig,), values)
    return create_app(config)


def fresh_schema() -> None:
    empty_database()
    db.create_all()


def timed(func: Callable[[], object], repeat: int, setup: Callable[[], None]) -> float:
    """Median wall time of *func* over *repeat* runs, each after *setup* (not timed) and a
    garbage collection (a run is not charged for the garbage its setup or the last run left)."""
    times = []
    for _ in range(repeat):
        setup()
        gc.collect()
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def ensure_postgres_database(url: str) -> None:
    """CREATE DATABASE for *url* when it does not exist yet (a PostgreSQL URL)."""
    target = make_url(url)
    engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        )
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    engine.dispose()
