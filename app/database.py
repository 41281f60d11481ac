"""Engine settings: SQLite gets WAL, foreign keys, a busy timeout and real SAVEPOINTs."""

import sqlalchemy as sa
from flask import Flask

from app.extensions import db


def configure_engine(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    if sa.event.contains(engine, "connect", _sqlite_connect):
        return
    sa.event.listen(engine, "connect", _sqlite_connect)
    sa.event.listen(engine, "begin", _sqlite_begin)


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
    connection.exec_driver_sql("BEGIN")
