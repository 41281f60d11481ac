"""The access log: who opened which lead page or API record, who exported what, who erased
whom. A request only appends to an in-process buffer (no write on the page's own time); the
runner writes the buffer in one insert (`write_buffered`). Rows hold ids and counts, no PII.
The write is queued on the runner as the first row comes in, and a graceful stop runs what is
queued; only a process killed outright in that moment loses the rows still buffered."""

import hashlib
import hmac
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import AccessAction, AccessLog
from app.models.base import MAX_ID
from app.services.privacy import tombstones

ACCESS = AccessLog.__table__
BUFFER_KEY = "privacy_access_buffer"
PAGE_SIZE = 100


@dataclass
class Buffer:
    rows: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    scheduled: bool = False  # a write is queued on the runner


def buffer() -> Buffer:
    return current_app.extensions.setdefault(BUFFER_KEY, Buffer())


def record(
    user_id: int | None,
    action: AccessAction,
    *,
    lead_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> bool:
    """Buffer one row; True when the caller should schedule a write (none is queued)."""
    row = {
        "created_at": datetime.now(UTC),
        "user_id": user_id,
        "action": action.value,
        "lead_id": lead_id,
        "erasure_id": None,
        "detail": detail,
    }
    held = buffer()
    with held.lock:
        held.rows.append(row)
        schedule, held.scheduled = not held.scheduled, True
    return schedule


def write_buffered() -> int:
    """Insert every buffered row in one statement. Caller commits."""
    held = buffer()
    with held.lock:
        rows, held.rows, held.scheduled = held.rows, [], False
    if rows:
        db.session.execute(sa.insert(ACCESS), rows)
    return len(rows)


def export_detail(filters: dict[str, Any], rows: int) -> dict[str, Any]:
    """The `detail` of an export row: the filter with its search text `q` hashed (keyed, as
    tombstones are: equal searches match, the text is not kept) and the number of rows."""
    detail = {key: value for key, value in filters.items() if value not in (None, "", [])}
    if detail.get("q"):
        key = tombstones.hash_keys()[0]
        detail["q"] = hmac.new(key, f"q:{detail['q']}".encode(), hashlib.sha256).hexdigest()
    return detail | {"rows": rows}


@dataclass(frozen=True)
class AccessFilter:
    user_id: int | None = None
    action: str | None = None
    lead_id: int | None = None
    days: int | None = None  # only the last N days

    @classmethod
    def from_args(cls, args) -> "AccessFilter":
        action = args.get("action") or None
        return cls(
            user_id=an_id(args.get("user", type=int)),
            action=action if action in {a.value for a in AccessAction} else None,
            lead_id=an_id(args.get("lead", type=int)),
            days=an_id(args.get("days", type=int)),
        )


def an_id(value: int | None) -> int | None:
    """A number a column can hold, else None (no filter)."""
    return value if value is not None and 0 < value <= MAX_ID else None


def list_entries(filters: AccessFilter, page: int = 1):
    """The log, newest first, filtered; a Flask-SQLAlchemy pagination."""
    query = sa.select(AccessLog).order_by(AccessLog.id.desc())
    if filters.user_id is not None:
        query = query.where(AccessLog.user_id == filters.user_id)
    if filters.action:
        query = query.where(AccessLog.action == filters.action)
    if filters.lead_id is not None:
        query = query.where(AccessLog.lead_id == filters.lead_id)
    if filters.days:
        since = datetime.now(UTC) - timedelta(days=min(filters.days, 36500))
        query = query.where(AccessLog.created_at >= since)
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)


def purge_before(cutoff: datetime, *, dry_run: bool = False) -> int:
    """Rows older than *cutoff* (retention). Caller commits."""
    old = ACCESS.c.created_at < cutoff
    if dry_run:
        return db.session.scalar(sa.select(sa.func.count()).where(old)) or 0
    return db.session.execute(sa.delete(ACCESS).where(old)).rowcount or 0
