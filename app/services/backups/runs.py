"""The daily backup: run it, prune old ones, record the result, alert the superadmins when it
fails; and what the sync health page shows about backups."""

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import BackupRun, BackupStatus, BackupTrigger
from app.services import alerts
from app.services.backups.create import create_backup
from app.services.backups.manifest import MANIFEST_SUFFIX, backup_time

log = logging.getLogger(__name__)
DUE_AFTER = timedelta(hours=23)  # the hourly job backs up when the last scheduled try is older
OVERDUE_AFTER = timedelta(hours=48)  # the health page warns when no backup succeeded since
LEFTOVER_RE = re.compile(r"^\.meta_lead_desk_.*\.(partial|copy)$")


@dataclass(frozen=True)
class BackupHealth:
    last: BackupRun | None
    last_ok: BackupRun | None
    recent: list[BackupRun]
    overdue: bool
    directory: str
    keep_days: int
    encrypted: bool


def is_due(now: datetime) -> bool:
    """True when no scheduled backup was tried in the last 23 hours (restarts do not add any)."""
    last = db.session.scalar(
        sa.select(sa.func.max(BackupRun.started_at)).where(
            BackupRun.trigger == BackupTrigger.SCHEDULE
        )
    )
    return last is None or _aware(last) <= now - DUE_AFTER


def run_backup(
    trigger: BackupTrigger, *, out: Path | None = None, now: datetime | None = None
) -> BackupRun:
    """Back up, prune artifacts older than BACKUP_KEEP days (after a success, in BACKUP_DIR
    only) and record the run; a failed scheduled run mails the superadmins. Caller commits."""
    now = now or datetime.now(UTC)
    run = BackupRun(trigger=trigger, started_at=now)
    try:
        manifest, path = create_backup(out, now=now)
    # Broad on purpose: whatever broke, the failure is recorded, shown and mailed.
    except Exception as error:
        log.exception("backup failed")
        run.status, run.error = BackupStatus.FAILED, str(error) or type(error).__name__
    else:
        run.status, run.path, run.size_bytes = BackupStatus.OK, str(path), manifest.size_bytes
        if out is None:
            prune_backups(path.parent, current_app.config["BACKUP_KEEP"], now=now)
    run.finished_at = datetime.now(UTC)
    db.session.add(run)
    db.session.flush()
    if run.status is BackupStatus.FAILED and trigger is BackupTrigger.SCHEDULE:
        alerts.alert_backup_failed(run)
    return run


def prune_backups(directory: Path, keep_days: int, *, now: datetime) -> list[Path]:
    """Delete artifacts (and manifests) named older than *keep_days*, never the newest one, and
    leftovers of crashed runs older than a day; returns what was deleted."""
    cutoff = now - timedelta(days=keep_days)
    dated = sorted((when, p) for p in directory.iterdir() if (when := backup_time(p.name)))
    doomed = [p for when, p in dated[:-1] if when < cutoff]
    doomed += [p.with_name(p.name + MANIFEST_SUFFIX) for p in doomed]
    doomed += [
        p
        for p in directory.iterdir()
        if LEFTOVER_RE.match(p.name) and p.stat().st_mtime < (now - timedelta(days=1)).timestamp()
    ]
    removed = []
    for path in doomed:
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass
        except OSError:
            log.exception("could not delete old backup %s", path.name)
    if removed:
        log.info("pruned %d old backup file(s) from %s", len(removed), directory)
    return removed


def backup_health(now: datetime | None = None) -> BackupHealth:
    """The last backup runs for the sync health page."""
    now = now or datetime.now(UTC)
    recent = list(db.session.scalars(sa.select(BackupRun).order_by(BackupRun.id.desc()).limit(7)))
    last_ok = db.session.scalar(
        sa.select(BackupRun)
        .where(BackupRun.status == BackupStatus.OK)
        .order_by(BackupRun.id.desc())
        .limit(1)
    )
    settings = current_app.config
    return BackupHealth(
        last=recent[0] if recent else None,
        last_ok=last_ok,
        recent=recent,
        overdue=last_ok is None or _aware(last_ok.started_at) < now - OVERDUE_AFTER,
        directory=str(settings["BACKUP_DIR"]),
        keep_days=settings["BACKUP_KEEP"],
        encrypted=bool(settings["BACKUP_ENCRYPTION_KEY"]),
    )


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
