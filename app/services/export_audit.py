"""The audit trail of exports: an `export_audit` row for every export (who, when, filter,
format, columns, rows, how it ended), its file name, and the list superadmins read."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import ExportAudit, User
from app.services.lead_selection import Selection

STATE_LABELS = {
    "streaming": _l("Downloading"),
    "done": _l("Done"),
    "cut": _l("Stopped early"),
    "building": _l("Being built"),
    "ready": _l("Ready"),
    "failed": _l("Failed"),
}


def file_name(fmt: str, now: datetime, tz: str) -> str:
    """`leads_YYYY-MM-DD_HHMMSS.<ext>` in APP_TIMEZONE."""
    return f"leads_{now.astimezone(ZoneInfo(tz)):%Y-%m-%d_%H%M%S}.{fmt}"


def record_export(
    user: User,
    fmt: str,
    selection: Selection,
    columns: Sequence[str],
    *,
    secret: str,
    state: str = "streaming",
) -> ExportAudit:
    """The `export_audit` row of an export about to run (rows are counted as it streams;
    a large XLSX starts as "building"). Caller commits."""
    audit = ExportAudit(
        user_id=user.id,
        format=fmt,
        selection=selection.stored(secret),
        columns=list(columns),
        rows=0,
        state=state,
    )
    db.session.add(audit)
    db.session.flush()
    return audit


def finish_export(audit_id: int, rows: int, state: str = "done") -> None:
    """Record how many rows an export wrote. Caller commits."""
    db.session.execute(
        sa.update(ExportAudit)
        .where(ExportAudit.id == audit_id)
        .values(rows=rows, state=state, finished_at=datetime.now(UTC))
    )


@dataclass(frozen=True)
class ExportRow:
    """An export as the audit list shows it."""

    audit: ExportAudit
    username: str


def list_exports(limit: int = 200) -> list[ExportRow]:
    """The latest exports, newest first, with who made them (superadmins read this)."""
    rows = db.session.execute(
        sa.select(ExportAudit, User.username)
        .join(User, User.id == ExportAudit.user_id)
        .order_by(ExportAudit.created_at.desc(), ExportAudit.id.desc())
        .limit(limit)
    )
    return [ExportRow(audit, username) for audit, username in rows]
