"""The scheduled backup: success and failure recorded and shown on the sync health page, a
failure mailed to the superadmins, a full disk leaving the older backups alone, and retention."""

import errno
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import BackupRun, BackupStatus, BackupTrigger, OutboxMail, User
from app.services import backups, mail_render
from app.services.backups.manifest import read_manifest
from app.services.backups.restore import verify_checksum
from app.tasks import jobs
from app.tasks.scheduler import run_job

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def app_config(tmp_path):
    return {"BACKUP_DIR": str(tmp_path / "backups"), "BACKUP_KEEP": 14}


@pytest.fixture
def admin_email(app, users):
    with app.app_context():
        db.session.get(User, users["admin"]).email = "boss@example.com"
        db.session.commit()
    return "boss@example.com"


def queued_mails(app) -> list:
    """(recipient, content) of each mail in the outbox, rendered as the sender would."""
    with app.app_context():
        mails = db.session.scalars(sa.select(OutboxMail).order_by(OutboxMail.id))
        return [(m.recipient, mail_render.render(m)) for m in mails]


def runs(app) -> list[BackupRun]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(BackupRun).order_by(BackupRun.id)))
        db.session.expunge_all()
        return found


def health_page(client, auth) -> str:
    auth.login()
    return client.get("/admin/health").get_data(as_text=True)


def test_the_job_records_a_success_once_a_day_and_the_health_page_shows_it(
    app, client, auth, users
):
    run_job(app, jobs.backup_database)
    run_job(app, jobs.backup_database)  # within 23 hours of the last: not due again
    [run] = runs(app)
    assert run.status is BackupStatus.OK and run.trigger is BackupTrigger.SCHEDULE
    assert run.error is None and run.size_bytes == Path(run.path).stat().st_size > 0
    assert Path(run.path).parent == Path(app.config["BACKUP_DIR"])
    page = health_page(client, auth)
    assert 'data-backup-status="ok"' in page and Path(run.path).name in page
    assert "No backup has succeeded" not in page


def test_a_failed_job_is_recorded_mailed_and_shown(app, client, auth, admin_email, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    app.config["BACKUP_DIR"] = str(blocker / "backups")
    run_job(app, jobs.backup_database)
    [run] = runs(app)
    assert run.status is BackupStatus.FAILED and run.path is None
    assert "backup into" in run.error and "Not a directory" in run.error
    [(recipient, message)] = queued_mails(app)
    assert recipient == admin_email and "backup failed" in message.subject
    assert run.error in message.text
    page = health_page(client, auth)
    assert 'data-backup-status="failed"' in page and "No backup has succeeded" in page
    assert "a-file" in page


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MiB tmpfs (needs root, as in CI); elsewhere a directory made read-only later."""
    path = tmp_path / "disk"
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(path)], capture_output=True
    )
    yield path, mounted.returncode == 0
    if mounted.returncode == 0:
        subprocess.run(["umount", str(path)], check=True)
    else:
        path.chmod(0o700)


def fill(path: Path) -> None:
    """Write until the disk is full (unbuffered: closing the file has nothing left to write,
    which would raise ENOSPC again whenever the free space is not a multiple of a chunk)."""
    with open(path / "filler", "wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 65536)
        except OSError as error:
            assert error.errno == errno.ENOSPC


def test_a_full_disk_fails_loudly_and_keeps_the_older_backups(app, admin_email, small_disk):
    disk, is_tmpfs = small_disk
    app.config["BACKUP_DIR"] = str(disk)
    with app.app_context():
        yesterday = datetime.now(UTC) - timedelta(days=1)
        older = backups.run_backup(BackupTrigger.SCHEDULE, now=yesterday)
        db.session.commit()
        older_path = Path(older.path)
    assert older.status is BackupStatus.OK
    if is_tmpfs:
        fill(disk)
    else:  # not root: no tmpfs, so make the write fail another way
        disk.chmod(0o500)
    run_job(app, jobs.backup_database)
    failed = runs(app)[-1]
    assert failed.status is BackupStatus.FAILED and len(queued_mails(app)) == 1
    if is_tmpfs:
        assert "is full" in failed.error and "Older backups are untouched" in failed.error
    left = sorted(p.name for p in disk.iterdir())
    assert left == sorted(
        [older_path.name, older_path.name + ".manifest.json"] + ["filler"] * is_tmpfs
    )
    with app.app_context():
        verify_checksum(older_path, read_manifest(older_path))  # the older backup is intact


def test_backups_older_than_keep_days_are_pruned_after_a_success(app):
    directory = Path(app.config["BACKUP_DIR"])
    with app.app_context():
        made = [
            Path(backups.run_backup(BackupTrigger.MANUAL, now=NOW - timedelta(days=d)).path)
            for d in (20, 15, 13)
        ]
        leftover = directory / ".meta_lead_desk_2026-11-20_030000.sqlite.gz.partial"
        leftover.write_bytes(b"half")
        old = (NOW - timedelta(days=3)).timestamp()
        os.utime(leftover, (old, old))
        (directory / "notes.txt").write_text("not ours")
        newest = Path(backups.run_backup(BackupTrigger.SCHEDULE, now=NOW).path)
        db.session.commit()
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [made[2].name, made[2].name + ".manifest.json", newest.name]
        + [newest.name + ".manifest.json", "notes.txt"]
    )
    with app.app_context():  # the newest backup is never pruned, however old
        backups.prune_backups(directory, 0, now=NOW + timedelta(days=100))
    assert {p.name for p in directory.iterdir()} == {
        newest.name,
        newest.name + ".manifest.json",
        "notes.txt",
    }
