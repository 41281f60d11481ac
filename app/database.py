"""Engine settings: SQLite gets WAL, foreign keys, a busy timeout and real transactions.

SQLite allows one writer. A transaction that reads first and writes later can fail outright
(SQLITE_BUSY_SNAPSHOT, no waiting) if another connection wrote in between, so work that may
write starts with `BEGIN IMMEDIATE`: it waits its turn for the write lock up front instead.
Read-only requests (GET/HEAD) keep a plain `BEGIN` and never block writers (WAL)."""

import contextvars

import sqlalchemy as sa
from flask import Flask, g, request

from app.extensions import db

# True: transactions in this context may write, so SQLite takes the write lock at BEGIN.
may_write: contextvars.ContextVar[bool] = contextvars.ContextVar("may_write", default=True)
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def configure_engine(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    if not sa.event.contains(engine, "connect", _sqlite_connect):
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
    app.before_request(_mark_read_only_requests)
    app.teardown_request(_forget_request_mode)


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
    cursor.close()


def _sqlite_begin(connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE" if may_write.get() else "BEGIN")
