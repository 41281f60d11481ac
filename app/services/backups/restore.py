"""`flask backup restore`: put a backup back, checked first, then bring its schema up to date.

Order: manifest → same kind of database → schema revision known to this code (a newer one is
refused) → the target holds no rows (or --force) → size and SHA-256 of the file → the key, when
encrypted. SQLite: the backup is unpacked beside the target and checked (quick_check, revision,
row counts against the manifest) before the SQLite backup API copies it over the target.
PostgreSQL: pg_restore in one transaction, then the row counts are compared. Then the
remaining migrations run, and erasures are re-applied.
"""

import hashlib
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import flask_migrate
import sqlalchemy as sa
from cryptography.fernet import MultiFernet
from flask import current_app
from flask_babel import gettext as _

from app.extensions import db
from app.models.analytics import FUNCTIONS
from app.services.backups import erasures, postgres
from app.services.backups.artifact import (
    fernet_from,
    gunzip,
    is_encrypted,
    iter_chunks,
    iter_decrypted,
)
from app.services.backups.create import create_backup, sqlite_path, sqlite_snapshot
from app.services.backups.manifest import (
    BackupError,
    Manifest,
    Snapshot,
    check_revision,
    create_private,
    read_manifest,
    read_snapshot,
)


@dataclass(frozen=True)
class RestoreOutcome:
    manifest: Manifest
    schema_before: str
    schema_after: str
    safety_backup: Path | None  # the replaced database's own backup (with --force)
    erasures_reapplied: int
    seconds: float


def restore_backup(
    artifact: Path, *, force: bool = False, now: datetime | None = None
) -> RestoreOutcome:
    """Restore *artifact* into the app's database; refuses a database holding rows unless
    *force* (which backs it up first). Raises BackupError. Caller commits."""
    started = time.perf_counter()
    manifest = read_manifest(artifact)
    if manifest.database != db.engine.dialect.name:
        raise BackupError(
            _(
                "This is a %(kind)s backup, but the app's database is %(target)s: restore it "
                "into a database of the same kind.",
                kind=manifest.database,
                target=db.engine.dialect.name,
            )
        )
    check_revision(manifest.schema_revision)
    if manifest.database == "sqlite":  # a restore onto a new machine: instance/ may not exist
        sqlite_path(db.engine).parent.mkdir(parents=True, exist_ok=True)
    held = tables_with_rows()
    if held and not force:
        raise BackupError(
            _(
                "The database is not empty (%(tables)s hold rows). Restore into an empty "
                "database, or add --force to replace it (it is backed up first).",
                tables=", ".join(held[:5]),
            )
        )
    verify_checksum(artifact, manifest)
    fernet = usable_key(artifact, manifest)
    carried = erasures.read_live()
    restore = restore_sqlite if manifest.database == "sqlite" else restore_postgres
    safety = restore(artifact, manifest, fernet, backup_first=bool(held), now=now)
    db.session.remove()
    db.engine.dispose()
    flask_migrate.upgrade()
    return RestoreOutcome(
        manifest=manifest,
        schema_before=manifest.schema_revision or "",
        schema_after=current_revision(),
        safety_backup=safety,
        erasures_reapplied=reapply_erasures(carried),
        seconds=time.perf_counter() - started,
    )


def reapply_erasures(carried: erasures.Carried | None = None) -> int:
    """Erase again every person a privacy tombstone names (the backup's own, and those of the
    replaced database), so a restore never brings an erased person back; returns how many
    leads. Caller commits."""
    return erasures.reapply(carried or erasures.Carried())


def tables_with_rows() -> list[str]:
    """Tables of the app's database that hold rows (alembic_version does not count)."""
    with db.engine.connect() as conn:
        tables = read_snapshot(conn).tables
    return [name for name, rows in tables.items() if rows and name != "alembic_version"]


def current_revision() -> str:
    with db.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() or ""


def verify_checksum(artifact: Path, manifest: Manifest) -> None:
    """Refuse a file whose size or SHA-256 differs from its manifest (truncated or changed)."""
    size = artifact.stat().st_size
    if size != manifest.size_bytes:
        raise BackupError(
            _(
                "The backup file is %(size)s bytes but its manifest says %(expected)s: it is "
                "truncated or was changed. Restore refused.",
                size=f"{size:,}",
                expected=f"{manifest.size_bytes:,}",
            )
        )
    digest = hashlib.sha256()
    with open(artifact, "rb") as raw:
        for chunk in iter_chunks(raw):
            digest.update(chunk)
    if digest.hexdigest() != manifest.sha256:
        raise BackupError(
            _(
                "The backup's SHA-256 checksum does not match its manifest: the file is "
                "damaged or was changed. Restore refused."
            )
        )


def usable_key(artifact: Path, manifest: Manifest) -> MultiFernet | None:
    """The key for an encrypted backup, checked on its first frame before anything changes."""
    with open(artifact, "rb") as raw:
        encrypted = is_encrypted(raw)
    if encrypted != bool(manifest.encryption):
        raise BackupError(_("The backup's encryption does not match its manifest."))
    if not encrypted:
        return None
    fernet = fernet_from(current_app.config["BACKUP_ENCRYPTION_KEY"])
    if fernet is None:
        raise BackupError(
            _("The backup is encrypted: set BACKUP_ENCRYPTION_KEY to the key it was made with.")
        )
    with open(artifact, "rb") as raw:
        next(iter_decrypted(raw, fernet))
    return fernet


@contextmanager
def plain_chunks(artifact: Path, fernet: MultiFernet | None) -> Iterator[Iterator[bytes]]:
    """The artifact's bytes, decrypted when it is encrypted."""
    with open(artifact, "rb") as raw:
        yield iter_decrypted(raw, fernet) if fernet else iter_chunks(raw)


def restore_sqlite(
    artifact: Path, manifest: Manifest, fernet: MultiFernet | None, *, backup_first: bool, now
) -> Path | None:
    """Unpack beside the target, check the copy, then copy it over the target."""
    target = sqlite_path(db.engine)
    scratch = target.with_name(f".{target.name}.restoring")
    scratch.unlink(missing_ok=True)
    try:
        with plain_chunks(artifact, fernet) as chunks, create_private(scratch) as out:
            for chunk in gunzip(chunks):
                out.write(chunk)
        check_sqlite_copy(scratch, manifest)
        safety = safety_backup(now) if backup_first else None
        db.session.remove()
        db.engine.dispose()
        source, destination = sqlite3.connect(scratch), sqlite3.connect(target, timeout=30)
        try:
            source.backup(destination)
        finally:
            destination.close()
            source.close()
    finally:
        scratch.unlink(missing_ok=True)
    return safety


def safety_backup(now: datetime | None) -> Path:
    """Back up the database a forced restore is about to replace."""
    try:
        return create_backup(now=now)[1]
    except BackupError as error:
        raise BackupError(
            _(
                "The database to be replaced could not be backed up first (%(error)s). Move it "
                "away by hand, then restore into an empty database.",
                error=error,
            )
        ) from error


def check_sqlite_copy(path: Path, manifest: Manifest) -> None:
    """The unpacked database is sound and holds what the manifest says."""
    conn = sqlite3.connect(path)
    try:
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        result = str(error)
    finally:
        conn.close()
    if result != "ok":
        raise BackupError(_("The backup's database is damaged: %(error)s", error=result))
    compare_snapshot(sqlite_snapshot(path), manifest)


def restore_postgres(
    artifact: Path, manifest: Manifest, fernet: MultiFernet | None, *, backup_first: bool, now
) -> Path | None:
    """Drop the target's tables, pg_restore in one transaction, compare the row counts."""
    postgres.find_tool("pg_restore", db.engine)
    safety = safety_backup(now) if backup_first else None
    db.session.remove()
    with db.engine.begin() as conn:
        drop_tables(conn)
    with plain_chunks(artifact, fernet) as chunks:
        postgres.restore(db.engine, chunks)
    with db.engine.connect() as conn:
        compare_snapshot(read_snapshot(conn), manifest)
    return safety


def drop_tables(conn: sa.Connection) -> None:
    """Drop every table of the current schema (empty ones, or replaced ones with --force),
    and our functions (the dump brings them back with their triggers)."""
    names = sa.inspect(conn).get_table_names()
    if names:
        quote = conn.dialect.identifier_preparer.quote
        conn.exec_driver_sql(f"DROP TABLE {', '.join(quote(n) for n in names)} CASCADE")
    for function in FUNCTIONS:
        conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function} CASCADE")


def compare_snapshot(snapshot: Snapshot, manifest: Manifest) -> None:
    if (snapshot.schema_revision, snapshot.tables) != (manifest.schema_revision, manifest.tables):
        differ = sorted(
            name
            for name in set(snapshot.tables) | set(manifest.tables)
            if snapshot.tables.get(name) != manifest.tables.get(name)
        )
        raise BackupError(
            _(
                "The restored data does not match the manifest (schema %(got)s vs %(want)s; "
                "row counts differ in: %(tables)s).",
                got=snapshot.schema_revision,
                want=manifest.schema_revision,
                tables=", ".join(differ) or "-",
            )
        )
