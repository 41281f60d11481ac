"""Access requests: everything held about a person (every lead of theirs, with its answers,
consent, timeline, follow-ups and mails sent, and raw copies in the quarantine) as JSON. The
same person as an erasure would reach (`erasure.find_person`). Recorded in the access log
without the person's keys."""

import enum
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import AccessAction, AccessLog, FacebookLead, FailedLead, LeadInteraction, User
from app.services.privacy import erasure, removal

FORMAT_VERSION = 1


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def row_dict(table: sa.Table, row: Any) -> dict[str, Any]:
    return {column.key: jsonable(getattr(row, column.key)) for column in table.columns}


def export_person(person: erasure.Person, *, user: User | None = None) -> dict[str, Any]:
    """The person's data as one JSON-ready dict; logs the export. Caller commits."""
    ids = [lead.id for lead in person.leads]
    data = {
        "format": FORMAT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
        "leads": [lead_dict(lead) for lead in person.leads],
        "quarantined": [
            row_dict(FailedLead.__table__, row)
            for row in db.session.scalars(
                sa.select(FailedLead).where(erasure.quarantine_matches(person))
            )
        ],
    }
    for name in removal.LEAD_TABLES:
        table = db.metadata.tables.get(name)
        if table is not None and "lead_id" in table.c:
            rows = db.session.execute(sa.select(table).where(table.c.lead_id.in_(ids)))
            data[name] = [row_dict(table, row) for row in rows]
    db.session.add(
        AccessLog(
            user_id=user.id if user else None,
            action=AccessAction.SUBJECT_EXPORT,
            detail={"leads": len(ids)},
        )
    )
    return data


def lead_dict(lead: FacebookLead) -> dict[str, Any]:
    timeline = db.session.scalars(
        sa.select(LeadInteraction)
        .where(LeadInteraction.lead_id == lead.id)
        .order_by(LeadInteraction.created_at, LeadInteraction.id)
    )
    return row_dict(FacebookLead.__table__, lead) | {
        "timeline": [row_dict(LeadInteraction.__table__, item) for item in timeline]
    }
