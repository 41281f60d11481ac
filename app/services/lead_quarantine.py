"""The quarantine (`meta_failed_leads`): raw leads that could not be stored as leads, kept
whole once per Meta lead id, with the reason (a message code + params) and how often they came
back, so sync health can show them with a Retry and reconciliation can count them as held."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app import messages
from app.database import upsert
from app.extensions import db
from app.meta.lead_pages import UnreadableLead
from app.meta.text import scrub_json
from app.models import FailedLead
from app.services.privacy import tombstones

log = logging.getLogger(__name__)
FAILED = FailedLead.__table__


@dataclass(frozen=True)
class Failure:
    """One raw lead that is not stored as a lead, and why."""

    raw: Any
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def meta_lead_id(self) -> str | None:
        lead_id = self.raw.get("id") if isinstance(self.raw, dict) else None
        return str(lead_id)[:255] if isinstance(lead_id, str | int) and lead_id != "" else None


def unreadable_failures(unreadable: Sequence[UnreadableLead]) -> list[Failure]:
    """Leads whose answer could not be read: the start of what Meta sent is what we keep."""
    return [
        Failure({"id": u.lead_id, "unreadable": u.excerpt}, "lead_unreadable", {"reason": u.reason})
        for u in unreadable
    ]


def quarantine(
    failures: Sequence[Failure], *, config_id: int | None, form_id: str | None, now: datetime
) -> int:
    """Keep each failure raw: one row per Meta lead id (a repeat counts an attempt and keeps
    the latest payload and reason), except those of erased people; returns how many were
    erased people's (not kept). Caller commits."""
    rows: dict[Any, dict[str, Any]] = {}
    erased = tombstones.erased_lead_ids(f.meta_lead_id for f in failures)
    for index, failure in enumerate(failures):
        if failure.meta_lead_id in erased:
            continue
        key = failure.meta_lead_id or ("no-id", index)
        rows[key] = {
            "config_id": config_id,
            "form_id": form_id,
            "meta_lead_id": failure.meta_lead_id,
            "payload": scrub_json(failure.raw),
            "reason": messages.english(failure.code, failure.params)[:255],
            "reason_code": failure.code,
            "reason_params": scrub_json(failure.params),
            "attempts": 1,
            "created_at": now,
            "last_seen_at": now,
        }
        log.warning("lead kept raw in quarantine (form %s): %s", form_id, failure.code)
    if rows:
        db.session.execute(upsert_statement(), list(rows.values()))
    return sum(1 for failure in failures if failure.meta_lead_id in erased)


def upsert_statement() -> sa.Insert:
    insert = upsert(FAILED)
    return insert.on_conflict_do_update(
        index_elements=["meta_lead_id"],
        index_where=FAILED.c.meta_lead_id.is_not(None),
        set_={
            "attempts": FAILED.c.attempts + 1,
            "last_seen_at": insert.excluded.last_seen_at,
            "payload": insert.excluded.payload,
            "reason": insert.excluded.reason,
            "reason_code": insert.excluded.reason_code,
            "reason_params": insert.excluded.reason_params,
        },
    )


def count_held(form_id: str) -> int:
    """Quarantined leads of a form that are not stored as leads (reconciliation counts them)."""
    query = sa.select(sa.func.count()).where(
        FAILED.c.form_id == form_id,
        FAILED.c.meta_lead_id.is_not(None),
        FAILED.c.resolved_at.is_(None),
    )
    return db.session.scalar(query) or 0


def list_failed_leads(limit: int = 100) -> list[FailedLead]:
    return list(
        db.session.scalars(
            sa.select(FailedLead)
            .where(FailedLead.resolved_at.is_(None))
            .order_by(FailedLead.last_seen_at.desc(), FailedLead.id.desc())
            .limit(limit)
        )
    )


def get_failed_lead(failed_id: int) -> FailedLead | None:
    return db.session.get(FailedLead, failed_id)
