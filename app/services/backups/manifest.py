"""What a backup holds, written next to it as `<artifact>.manifest.json`; artifact names; schema
revisions; and the one error type of the backup services."""

import json
import os
import re
import tomllib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app
from flask_babel import gettext as _

from app.errors import DomainError

FORMAT = 1
NAME_TIME = "%Y-%m-%d_%H%M%S"
EXTENSIONS = {"sqlite": ".sqlite.gz", "postgresql": ".pgdump"}
ENCRYPTED_SUFFIX = ".enc"
MANIFEST_SUFFIX = ".manifest.json"
NAME_RE = re.compile(
    r"^meta_lead_desk_(?P<time>\d{4}-\d{2}-\d{2}_\d{6})\.(sqlite\.gz|pgdump)(\.enc)?$"
)


class BackupError(DomainError):
    """A backup could not be made or restored; the message says why and what to do."""

    code = "backup_failed"


@dataclass(frozen=True)
class Manifest:
    artifact: str  # file name of the artifact the manifest describes
    database: str  # sqlite | postgresql
    schema_revision: str | None  # alembic_version of the copy
    tables: dict[str, int]  # rows per table, counted in the same snapshot as the copy
    sha256: str  # of the artifact file as written (compressed, and encrypted if it is)
    size_bytes: int
    encryption: str | None  # None | "fernet-chunked-v1" (see artifact.py)
    created_at: str  # ISO 8601, UTC
    app_version: str
    duration_s: float
    format: int = FORMAT

    @property
    def leads(self) -> int:
        return self.tables.get("facebook_leads", 0)


@dataclass(frozen=True)
class Snapshot:
    """What was counted inside the snapshot a backup copied."""

    schema_revision: str | None
    tables: dict[str, int]


def artifact_name(database: str, when: datetime, *, encrypted: bool) -> str:
    """`meta_lead_desk_YYYY-MM-DD_HHMMSS.sqlite.gz` (UTC), `.pgdump` on PostgreSQL, `+.enc`."""
    suffix = EXTENSIONS[database] + (ENCRYPTED_SUFFIX if encrypted else "")
    return f"meta_lead_desk_{when.astimezone(UTC).strftime(NAME_TIME)}{suffix}"


def backup_time(name: str) -> datetime | None:
    """The UTC time in an artifact's name, or None for a file that is not one of ours."""
    match = NAME_RE.match(name)
    return datetime.strptime(match["time"], NAME_TIME).replace(tzinfo=UTC) if match else None


def create_private(path: Path) -> BinaryIO:
    """A new file only its owner can read (backups hold health data); fails if it exists."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def manifest_path(artifact: Path) -> Path:
    return artifact.with_name(artifact.name + MANIFEST_SUFFIX)


def write_manifest(manifest: Manifest, artifact: Path) -> Path:
    """Write the manifest next to *artifact* atomically (temporary file, fsync, rename)."""
    path = manifest_path(artifact)
    partial = path.with_name(f".{path.name}.partial")
    with create_private(partial) as out:
        out.write(json.dumps(asdict(manifest), indent=2, sort_keys=True).encode())
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, path)
    return path


def read_manifest(artifact: Path) -> Manifest:
    """The manifest next to *artifact*; BackupError when it is missing or unreadable."""
    path = manifest_path(artifact)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest(**data)
    except FileNotFoundError:
        raise BackupError(
            _(
                "No manifest next to the backup (expected %(path)s). It holds the checksum and "
                "the schema revision, so the backup is not restored without it.",
                path=path,
            )
        ) from None
    except (ValueError, TypeError) as error:
        message = _("The manifest %(path)s is damaged: %(error)s", path=path, error=error)
        raise BackupError(message) from None
    if manifest.format != FORMAT or manifest.database not in EXTENSIONS:
        raise BackupError(_("The manifest %(path)s has an unknown format.", path=path))
    return manifest


def app_version() -> str:
    """The version in pyproject.toml (what made a backup)."""
    pyproject = Path(current_app.root_path).parent / "pyproject.toml"
    try:
        return tomllib.loads(pyproject.read_text())["project"]["version"]
    except (OSError, KeyError, ValueError):
        return "unknown"


def code_head() -> tuple[str, set[str]]:
    """The newest migration of this code and every revision it knows."""
    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    return script.get_current_head(), {rev.revision for rev in script.walk_revisions()}


def check_revision(revision: str | None) -> str:
    """Refuse a backup this code cannot migrate; return the code's head revision."""
    head, known = code_head()
    if revision is None:
        raise BackupError(
            _(
                "The backup has no schema revision (no alembic_version table): it was not made "
                "from a database built by `flask db upgrade`."
            )
        )
    if revision not in known:
        raise BackupError(
            _(
                "The backup's schema revision %(revision)s is unknown to this code (its newest "
                "is %(head)s): it comes from a newer version of Meta Lead Desk. Restore it with "
                "that version or a later one.",
                revision=revision,
                head=head,
            )
        )
    return head


def read_snapshot(conn: sa.Connection) -> Snapshot:
    """Schema revision and rows per table, read on *conn* (inside the snapshot it holds)."""
    names = sorted(sa.inspect(conn).get_table_names())
    quote = conn.dialect.identifier_preparer.quote
    tables = {
        name: conn.exec_driver_sql(f"SELECT count(*) FROM {quote(name)}").scalar_one()
        for name in names
    }
    revision = None
    if "alembic_version" in tables:
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return Snapshot(revision, tables)
