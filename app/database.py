"""Engine settings: SQLite gets WAL, foreign keys, a busy timeout and real transactions.

SQLite allows one writer. A transaction that reads first and writes later can fail outright
(SQLITE_BUSY_SNAPSHOT, no waiting) if another connection wrote in between, so work that may
write starts with `BEGIN IMMEDIATE`: it waits its turn for the write lock up front instead.
Read-only requests (GET/HEAD) keep a plain `BEGIN` and never block writers (WAL).

Within one process, writers also queue on a Python lock before `BEGIN IMMEDIATE`: a waiter
wakes the moment the writer before it commits, where SQLite's busy handler would sleep in
growing steps (up to 100 ms) and poll. Other processes still wait through busy_timeout."""

import contextlib
import contextvars
import enum
import functools
import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask, g, request
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db

# True: transactions in this context may write, so SQLite takes the write lock at BEGIN.
may_write: contextvars.ContextVar[bool] = contextvars.ContextVar("may_write", default=True)
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_LOCK_WAIT_S = 30.0
MMAP_SIZE = 2**31
_write_locks: dict[str, threading.Lock] = {}


def configure_engine(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    create_private_file(engine.url)
    if not sa.event.contains(engine, "connect", _sqlite_connect):
        _write_locks.setdefault(str(engine.url), threading.Lock())
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
        sa.event.listen(engine, "commit", _sqlite_end)
        sa.event.listen(engine, "rollback", _sqlite_end)
    app.before_request(_mark_read_only_requests)
    app.teardown_request(_forget_request_mode)


def create_private_file(url: sa.URL) -> None:
    """Create the SQLite database file readable and writable by its owner only (0600) before
    SQLite would create it with the umask's mode; its -wal and -shm files take the same mode.
    An existing file is left as it is."""
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:") or url.query.get("mode"):
        return
    Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """Run a job that writes with write-ready transactions (SQLite: BEGIN IMMEDIATE), whatever
    thread calls it: a job's read-then-write must not meet SQLITE_BUSY_SNAPSHOT when another
    thread (a lease heartbeat, the webhook worker) wrote in between."""
    token = may_write.set(True)
    try:
        yield
    finally:
        may_write.reset(token)


def commit_bookkeeping() -> None:
    """Commit without waiting for PostgreSQL to flush its log to disk (`synchronous_commit`
    off for this transaction only): for bookkeeping such as "this mail was sent", where only
    a crash of the database server itself, inside its writer's fraction of a second, could
    lose the row (an app crash loses nothing: the server has it). That is the durability
    every SQLite commit here has (WAL with synchronous=NORMAL); it saves a disk flush per
    row, which is most of a PostgreSQL commit's cost."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
    db.session.commit()


def _mark_read_only_requests() -> None:
    g.may_write_token = may_write.set(request.method not in READ_ONLY_METHODS)


def _forget_request_mode(error: BaseException | None = None) -> None:
    token = g.pop("may_write_token", None)
    if token is not None:
        may_write.reset(token)


def _sqlite_connect(dbapi_connection, connection_record) -> None:
    # Let SQLAlchemy, not pysqlite, emit BEGIN: otherwise SAVEPOINT/RELEASE can commit early.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted rows are overwritten with zeros, not just unlinked: an erased person's data must
    # not stay readable in free pages of the file (see app/services/privacy/erasure.py).
    cursor.execute("PRAGMA secure_delete=ON")
    # Read pages through a memory map rather than a read() call each: a search that checks
    # thousands of matching rows takes a third less time (capped at 2 GiB by SQLite itself).
    cursor.execute(f"PRAGMA mmap_size={MMAP_SIZE}")
    cursor.close()


@contextlib.contextmanager
def without_memory_map(connection: sa.Connection) -> Iterator[None]:
    """SQLite reads with read() calls instead of its memory map while inside: a read of a whole
    table (an export of a million leads) through the map keeps every page it touched in the
    process's resident memory (880 MiB), read() calls go through a small page cache. Measured
    alike in speed for such a read. Other databases: nothing."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA mmap_size=0")
    try:
        yield
    finally:
        if sqlite:
            connection.exec_driver_sql(f"PRAGMA mmap_size={MMAP_SIZE}")


def _sqlite_begin(connection) -> None:
    if not may_write.get():
        connection.exec_driver_sql("BEGIN")
        return
    lock = _write_locks[str(connection.engine.url)]
    if lock.acquire(timeout=WRITE_LOCK_WAIT_S):
        connection.info["holds_write_lock"] = lock
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except Exception:
        _sqlite_end(connection)
        raise


def _sqlite_end(connection) -> None:
    lock = connection.info.pop("holds_write_lock", None)
    if lock is not None:
        lock.release()


def upsert(table: sa.Table):
    """`INSERT` of the session's dialect that knows `ON CONFLICT` (SQLite and PostgreSQL)."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def insert_many(table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows (dicts with the same keys) in one statement. On PostgreSQL they
    travel as one JSON parameter expanded by `jsonb_to_recordset`: psycopg's executemany
    costs a round trip per row, which made thousands of timeline rows slower than the
    change they record. Elsewhere a plain executemany. Caller commits."""
    if not rows:
        return
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(sa.insert(table), list(rows))
        return
    payload = json.dumps(list(rows), default=json_value, separators=(",", ":"))
    db.session.execute(recordset_insert(table, tuple(rows[0])), {"rows": payload})


@functools.lru_cache(maxsize=32)
def recordset_insert(table: sa.Table, columns: tuple[str, ...]) -> sa.TextClause:
    names = ", ".join(columns)
    return sa.text(
        f"INSERT INTO {table.name} ({names}) SELECT {names} "
        f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({typed_columns(table, columns)})"
    )


def insert_shared(
    table: sa.Table, key: str, groups: Sequence[tuple[Sequence[int], Mapping[str, Any]]]
) -> None:
    """A row for each id of each group (in column *key*), the group's values (the same keys
    in every group) shared by its rows, in one statement whose JSON parameter holds each
    group's values and ids once. Ten thousand timeline rows of a few routing decisions sent
    as rows were ~3 MB of JSON to write and parse on PostgreSQL, and on SQLite an
    executemany binding every value of every row (four times this statement's time); read
    back through an `INSERT … SELECT` over the leads, ten thousand index lookups. Caller
    commits."""
    groups = [(list(ids), values) for ids, values in groups if ids]
    if not groups:
        return
    columns = tuple(groups[0][1])
    dialect = db.session.get_bind().dialect
    if dialect.name == "postgresql":
        payload: list[Any] = [{"ids": ids, **values} for ids, values in groups]
        statement = shared_insert(table, key, columns)
    else:  # the values as the column types store them: JSON carries no dates or JSON
        bind = {c: table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns}
        payload = [
            [ids, *(b(values[c]) if (b := bind[c]) else values[c] for c in columns)]
            for ids, values in groups
        ]
        statement = shared_insert_sqlite(table, key, columns)
    text = json.dumps(payload, default=json_value, separators=(",", ":"))
    db.session.execute(statement, {"rows": text})


@functools.lru_cache(maxsize=32)
def shared_insert(table: sa.Table, key: str, columns: tuple[str, ...]) -> sa.TextClause:
    names = ", ".join(columns)
    key_type = table.c[key].type.compile(dialect=postgresql.dialect())
    return sa.text(
        f"INSERT INTO {table.name} ({key}, {names}) SELECT CAST(i.id AS {key_type}), {names} "
        f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(ids jsonb, "
        f"{typed_columns(table, columns)}) "
        "CROSS JOIN LATERAL jsonb_array_elements_text(r.ids) AS i(id)"
    )


@functools.lru_cache(maxsize=32)
def shared_insert_sqlite(table: sa.Table, key: str, columns: tuple[str, ...]) -> sa.TextClause:
    """SQLite's form: `[[ids, value, …], …]`, each group's values read out of the JSON once
    (a materialised CTE), then a row for each of its ids."""
    names = ", ".join(columns)
    picked = ", ".join(f"json_extract(value, '$[{n}]') AS {c}" for n, c in enumerate(columns, 1))
    return sa.text(
        f"WITH g AS MATERIALIZED (SELECT json_extract(value, '$[0]') AS ids_, {picked} "
        f"FROM json_each(:rows)) INSERT INTO {table.name} ({key}, {names}) "
        f"SELECT i.value, {names} FROM g, json_each(g.ids_) AS i"
    )


def typed_columns(table: sa.Table, columns: Sequence[str]) -> str:
    """`name type, …` of *columns*, PostgreSQL's types: a `jsonb_to_recordset` row's shape."""
    dialect = postgresql.dialect()
    return ", ".join(f"{c} {table.c[c].type.compile(dialect=dialect)}" for c in columns)


def among(column: Any, ids: Sequence[int]) -> sa.ColumnElement[bool]:
    """`column IN (ids)` with the ids as one parameter (PostgreSQL: `= ANY` of an array;
    SQLite: the values of a JSON array). A plain IN of a thousand ids binds, renders and
    sends a thousand parameters for each statement of a bulk batch: a third of its time."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.literal(list(ids), postgresql.ARRAY(sa.BigInteger)))
    values = sa.func.json_each(json.dumps(list(ids))).table_valued("value")
    return column.in_(sa.select(values.c.value))


def json_value(value: Any) -> Any:
    """A value of a row as JSON for `jsonb_to_recordset` (times as ISO 8601, enums as codes)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"cannot serialise {type(value).__name__}")


def empty_database() -> None:
    """Drop every table of the models (PostgreSQL: the whole public schema). Tests and
    benchmarks only: it destroys data."""
    db.session.remove()
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        db.drop_all()
