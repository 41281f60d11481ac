"""`flask backup create`: a consistent copy of the database, compressed (and encrypted when
BACKUP_ENCRYPTION_KEY is set), with its manifest beside it.

SQLite: the online backup API copies the whole database in one step, under one read
transaction, so the copy is one snapshot (WAL content included) while writers carry on; the copy
is then gzipped. PostgreSQL: a REPEATABLE READ transaction exports its snapshot and counts rows
in it, and `pg_dump --snapshot` dumps exactly that snapshot (custom format, which pg_dump
compresses). The artifact is written to a hidden `.partial` file and renamed when complete, so a
full disk or a crash never leaves half a backup under a backup's name; older backups stay.
"""

import errno
import gzip
import os
import shutil
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import MultiFernet
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.pool import NullPool

from app.extensions import db
from app.services.backups import postgres
from app.services.backups.artifact import (
    CHUNK,
    ENCRYPTION,
    EncryptingWriter,
    HashingWriter,
    Writer,
    fernet_from,
)
from app.services.backups.manifest import (
    BackupError,
    Manifest,
    Snapshot,
    app_version,
    artifact_name,
    create_private,
    manifest_path,
    read_snapshot,
    write_manifest,
)

SQLITE_FULL = 13
GZIP_LEVEL = 6  # at 100,000 leads: half the time of level 9 for a file 1 % larger


def create_backup(out: Path | None = None, *, now: datetime | None = None) -> tuple[Manifest, Path]:
    """Back up the app's database to BACKUP_DIR (or *out*); return the manifest and the file.
    Raises BackupError and leaves nothing behind. Uses no session (run it outside one)."""
    now = now or datetime.now(UTC)
    engine = db.engine
    fernet = fernet_from(current_app.config["BACKUP_ENCRYPTION_KEY"])
    artifact = target_path(out, engine.dialect.name, now, encrypted=fernet is not None)
    started = time.perf_counter()
    try:
        snapshot, sha256, size = write_artifact(engine, artifact, fernet)
        manifest = Manifest(
            artifact=artifact.name,
            database=engine.dialect.name,
            schema_revision=snapshot.schema_revision,
            tables=snapshot.tables,
            sha256=sha256,
            size_bytes=size,
            encryption=ENCRYPTION if fernet else None,
            created_at=now.isoformat(),
            app_version=app_version(),
            duration_s=round(time.perf_counter() - started, 3),
        )
        write_manifest(manifest, artifact)
        fsync_directory(artifact.parent)
    except BaseException as error:
        discard(artifact)
        if isinstance(error, OSError | sqlite3.Error | sa.exc.DBAPIError):
            raise storage_error(error, artifact.parent) from error
        raise
    return manifest, artifact


def target_path(out: Path | None, database: str, now: datetime, *, encrypted: bool) -> Path:
    """BACKUP_DIR/<name>, DIR/<name> for an existing directory, or *out* itself; a name taken
    by a backup of the same second moves on to the next free second."""
    if out is not None and not out.is_dir():
        candidates = [out]
    else:
        directory = out or Path(current_app.config["BACKUP_DIR"])
        candidates = [
            directory / artifact_name(database, now + timedelta(seconds=s), encrypted=encrypted)
            for s in range(60)
        ]
    try:
        candidates[0].parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise storage_error(error, candidates[0].parent) from error
    for path in candidates:
        if not (path.exists() or manifest_path(path).exists()):
            return path
    raise BackupError(_("%(path)s already exists; a backup never overwrites one.", path=path))


def write_artifact(
    engine: sa.Engine, artifact: Path, fernet: MultiFernet | None
) -> tuple[Snapshot, str, int]:
    """Write the artifact (hidden partial file, fsync, rename); its snapshot, SHA-256, size."""
    partial = partial_path(artifact)
    with create_private(partial) as raw:
        sink = HashingWriter(raw)
        out = EncryptingWriter(sink, fernet) if fernet else sink
        if engine.dialect.name == "sqlite":
            snapshot = dump_sqlite(engine, out, artifact)
        else:
            snapshot = dump_postgres(engine, out)
        if isinstance(out, EncryptingWriter):
            out.close()
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(partial, artifact)
    return snapshot, sink.sha256.hexdigest(), sink.size


def dump_sqlite(engine: sa.Engine, out: Writer, artifact: Path) -> Snapshot:
    """Copy the SQLite database online next to the artifact, then gzip the copy into *out*."""
    copy = artifact.with_name(f".{artifact.name}.copy")
    try:
        snapshot = copy_sqlite(sqlite_path(engine), copy)
        with (
            open(copy, "rb") as source,
            gzip.GzipFile(
                filename="", mode="wb", fileobj=out, compresslevel=GZIP_LEVEL, mtime=0
            ) as compressed,
        ):
            shutil.copyfileobj(source, compressed, CHUNK)
    finally:
        copy.unlink(missing_ok=True)
        copy.with_name(copy.name + "-journal").unlink(missing_ok=True)
    return snapshot


def copy_sqlite(source_path: Path, copy_path: Path) -> Snapshot:
    """Online copy through the SQLite backup API; the snapshot is read from the copy."""
    if not source_path.is_file():
        raise BackupError(_("The database file %(path)s does not exist.", path=source_path))
    # Owner-only from the start (an empty file is an empty database; the journal SQLite makes
    # beside it takes the same mode). A leftover of a crashed run is ours to replace.
    copy_path.unlink(missing_ok=True)
    create_private(copy_path).close()
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(copy_path)
    try:
        # pages=-1: one step, under one read transaction, so the copy is one consistent
        # snapshot even while other connections write (a multi-step backup restarts on writes).
        source.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")  # a self-contained file: no -wal beside it
    finally:
        copy.close()
        source.close()
    return sqlite_snapshot(copy_path)


def sqlite_snapshot(path: Path) -> Snapshot:
    """Schema revision and row counts of a standalone SQLite file."""
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return read_snapshot(conn)
    finally:
        engine.dispose()


def dump_postgres(engine: sa.Engine, out: Writer) -> Snapshot:
    """pg_dump of a snapshot exported by a transaction that counts rows in that same snapshot."""
    postgres.find_tool("pg_dump", engine)  # fail before taking a snapshot
    with engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            exported = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            snapshot = read_snapshot(conn)
            postgres.dump(engine, exported, out)  # the exporting transaction stays open
    return snapshot


def sqlite_path(engine: sa.Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError(_("An in-memory SQLite database cannot be backed up or restored."))
    return Path(database)


def storage_error(error: BaseException, directory: Path) -> BackupError:
    """A clear message for a failed write: a full disk says so, with the free space."""
    full = getattr(error, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or (
        getattr(error, "sqlite_errorcode", None) == SQLITE_FULL
        or getattr(getattr(error, "orig", None), "sqlite_errorcode", None) == SQLITE_FULL
    )
    if full:
        try:
            free = shutil.disk_usage(directory).free
        except OSError:
            free = 0
        return BackupError(
            _(
                "The disk holding %(directory)s is full (%(free)s bytes free): the backup was "
                "not written. Older backups are untouched.",
                directory=directory,
                free=f"{free:,}",
            )
        )
    return BackupError(
        _("The backup into %(directory)s failed: %(error)s", directory=directory, error=error)
    )


def partial_path(artifact: Path) -> Path:
    return artifact.with_name(f".{artifact.name}.partial")


def discard(artifact: Path) -> None:
    """Remove whatever a failed run wrote (never a file that existed before it started)."""
    manifest = manifest_path(artifact)
    for path in (artifact, manifest, partial_path(artifact), partial_path(manifest)):
        path.unlink(missing_ok=True)


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
