"""Backups that restore: `flask backup create|restore` and the daily scheduled backup.

create.py writes artifacts, restore.py puts them back, runs.py schedules, prunes and records;
manifest.py describes an artifact, artifact.py holds the byte formats, postgres.py drives
pg_dump/pg_restore."""

from app.services.backups.create import create_backup
from app.services.backups.manifest import BackupError, Manifest
from app.services.backups.restore import RestoreOutcome, reapply_erasures, restore_backup
from app.services.backups.runs import (
    BackupHealth,
    backup_health,
    is_due,
    prune_backups,
    run_backup,
)

__all__ = [
    "BackupError",
    "BackupHealth",
    "Manifest",
    "RestoreOutcome",
    "backup_health",
    "create_backup",
    "is_due",
    "prune_backups",
    "reapply_erasures",
    "restore_backup",
    "run_backup",
]
