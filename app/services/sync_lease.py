"""The per-config sync lease: one process syncs a config at a time, and a crashed holder does
not block syncing for long.

A holder renews the lease every META_SYNC_HEARTBEAT_SECONDS (`Heartbeat`, a side thread); a
lease not renewed for META_SYNC_LEASE_SECONDS is stale and may be taken over, at once when the
holder was a process of this machine that no longer exists (`kill -9`, an OOM kill, a deploy).
Whoever takes the lease closes the runs its dead holder left `running` as `interrupted`."""

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from app import messages
from app.extensions import db
from app.models import MetaApiConfig, SyncRun, SyncStatus

log = logging.getLogger(__name__)
CONFIGS = MetaApiConfig.__table__
RUNS = SyncRun.__table__


@dataclass(frozen=True)
class Lease:
    acquired: bool
    holder: str | None = None
    since: datetime | None = None

    def describe(self) -> str:
        since = f" since {self.since:%Y-%m-%d %H:%M:%S} UTC" if self.since else ""
        return f"another process is syncing this config ({self.holder}{since})"


def lease_owner() -> str:
    """This thread of this process: the unit that may hold a sync lease."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def acquire(config_id: int, now: datetime, duration: timedelta) -> Lease:
    """Take the config's lease if it is free, stale, ours, or held by a dead local process;
    close the runs a dead holder left open. Caller commits at once."""
    current = db.session.execute(
        sa.select(CONFIGS.c.lease_owner, CONFIGS.c.lease_acquired_at).where(
            CONFIGS.c.id == config_id
        )
    ).first()
    holder = current.lease_owner if current else None
    takeable = sa.or_(
        CONFIGS.c.lease_owner.is_(None),
        CONFIGS.c.lease_expires_at < now,
        CONFIGS.c.lease_owner == lease_owner(),
    )
    if holder and holder_is_dead(holder):
        takeable = sa.or_(takeable, CONFIGS.c.lease_owner == holder)
    result = db.session.execute(
        sa.update(CONFIGS)
        .where(CONFIGS.c.id == config_id, takeable)
        .values(lease_owner=lease_owner(), lease_expires_at=now + duration, lease_acquired_at=now)
    )
    if result.rowcount != 1:
        return Lease(False, holder, current.lease_acquired_at if current else None)
    interrupt_open_runs(config_id, now)
    return Lease(True)


def holder_is_dead(holder: str) -> bool:
    """True for a holder that was a process of this machine that is gone."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def interrupt_open_runs(config_id: int, now: datetime) -> int:
    """Runs still `running` while we hold the lease were left by a holder that died."""
    result = db.session.execute(
        sa.update(RUNS)
        .where(RUNS.c.config_id == config_id, RUNS.c.status == SyncStatus.RUNNING.value)
        .values(
            status=SyncStatus.INTERRUPTED.value,
            finished_at=now,
            error=messages.english("interrupted"),
            error_code="interrupted",
        )
    )
    if result.rowcount:
        log.warning(
            "config %s: %d crashed run(s) closed as interrupted", config_id, result.rowcount
        )
    return result.rowcount


def release(config_id: int, owner: str | None = None) -> None:
    """Give the lease back (only if we still hold it). Caller commits."""
    db.session.execute(
        sa.update(CONFIGS)
        .where(CONFIGS.c.id == config_id, CONFIGS.c.lease_owner == (owner or lease_owner()))
        .values(lease_owner=None, lease_expires_at=None, lease_acquired_at=None)
    )


class Heartbeat:
    """Renew a held lease from a side thread until stopped (its own connection and commits)."""

    def __init__(self, engine: Engine, config_id: int, every_s: float, duration: timedelta):
        self.engine, self.config_id = engine, config_id
        self.every_s, self.duration = every_s, duration
        self.owner = lease_owner()  # the holder is the thread that started the heartbeat
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, name=f"lease-{config_id}", daemon=True)

    def __enter__(self) -> "Heartbeat":
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)

    def run(self) -> None:
        while not self.stopped.wait(self.every_s):
            try:
                self.beat()
            except sa.exc.SQLAlchemyError:  # the next beat tries again; the lease has slack
                log.warning("lease heartbeat of config %s failed", self.config_id)

    def beat(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(CONFIGS)
                .where(CONFIGS.c.id == self.config_id, CONFIGS.c.lease_owner == self.owner)
                .values(lease_expires_at=datetime.now(UTC) + self.duration)
            )
