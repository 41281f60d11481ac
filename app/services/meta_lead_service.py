"""The one insert path for Meta leads: normalise, insert once, score, link re-inquiries.

Poll sync, webhook fetches, seeding and benchmarks all come through `ingest_raw_leads`.
"""

import functools
import json
import logging
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DataError, IntegrityError

from app import events
from app.database import json_value, upsert
from app.extensions import db
from app.meta.normalize import normalize_lead
from app.models import FacebookLead, LeadStatus, MetaApiConfig
from app.services import (
    do_not_contact,
    lead_derived,
    lead_duplicates,
    lead_quarantine,
    lead_scoring,
    notifications,
    response_targets,
    scoring_rules,
)
from app.services.lead_quarantine import Failure
from app.services.privacy import tombstones
from app.services.routing import assign

log = logging.getLogger(__name__)
LEADS = FacebookLead.__table__
RETURNED = (  # record_routing reads the first two by position
    LEADS.c.id,
    LEADS.c.meta_lead_id,
    LEADS.c.phone,
    LEADS.c.email,
    LEADS.c.is_test,
    LEADS.c.duplicate_of_id,
)
INSERT_CHUNK = 1000
# Meta's created_time this far ahead of our clock is not believed (the lead is flagged).
FUTURE_SLACK = timedelta(minutes=5)
FUTURE_NOTE = "created_time in the future; our receive time is used"


@dataclass(frozen=True)
class LeadSource:
    """Where a batch of raw leads came from; stamped on every row."""

    distributor_id: int | None
    page_id: str | None = None
    form_id: str | None = None
    config_id: int | None = None
    origin: str = "meta"  # facebook_leads.source: Meta's, or how a lead entered by hand came

    @classmethod
    def of(cls, config: MetaApiConfig | None, form_id: str | None = None) -> "LeadSource":
        """Leads of *config*'s Page (and one of its forms, when known)."""
        if config is None:
            return cls(None, None, form_id, None)
        return cls(config.distributor_id, config.page_id, form_id, config.id)


@dataclass
class IngestResult:
    fetched: int = 0
    created: int = 0
    already_stored: int = 0
    reinquiries: int = 0
    failed: int = 0
    erased: int = 0  # leads of erased people: skipped (not errors)
    created_ids: list[int] = field(default_factory=list)
    erased_ids: set[str] = field(default_factory=set)  # their Meta lead ids
    newest: datetime | None = None

    def add(self, other: "IngestResult") -> None:
        for name in ("fetched", "created", "already_stored", "reinquiries", "failed", "erased"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.created_ids.extend(other.created_ids)
        self.erased_ids |= other.erased_ids
        if other.newest and (self.newest is None or other.newest > self.newest):
            self.newest = other.newest


def ingest_raw_leads(
    raws: Sequence[Any],
    source: LeadSource,
    *,
    default_region: str = "TR",
    now: datetime | None = None,
    announce_events: bool = True,
) -> IngestResult:
    """Store each raw Graph lead once; bad ones are kept in `meta_failed_leads`. Caller commits."""
    now = now or datetime.now(UTC)
    result = IngestResult(fetched=len(raws))
    rows, failures, result.newest = build_rows(raws, source, default_region, now)
    if erased := tombstones.erased_rows(rows):
        rows = [row for row in rows if row["meta_lead_id"] not in erased]
    dropped = quarantine(failures, source, now)
    result.erased, result.erased_ids = len(erased) + dropped, erased
    result.failed = len(failures) - dropped
    plan = lead_duplicates.plan_duplicates(rows, source.distributor_id)
    returning = do_not_contact.flag_returning_rows(rows, now)
    first = [row for row in rows if row["meta_lead_id"] not in plan.waiting]
    routed = assign.route_new_rows(first, now)
    inserted = insert_chunks(first, source, result)
    if waiting := [row for row in rows if row["meta_lead_id"] in plan.waiting]:
        lead_duplicates.resolve_waiting(waiting, plan, {r.meta_lead_id: r.id for r in inserted})
        routed |= assign.route_new_rows(waiting, now)
        inserted += insert_chunks(waiting, source, result)
    result.created = len(inserted)
    result.created_ids = [row.id for row in inserted]
    result.already_stored = len(rows) - result.created - (result.failed - len(failures) + dropped)
    links = {row.id: row.duplicate_of_id for row in inserted if row.duplicate_of_id}
    lead_duplicates.log_reinquiries(links, now)
    lead_derived.log_system_rows(do_not_contact.returning_rows(inserted, returning, now))
    result.reinquiries = len(links)
    new_rows = stored_rows(inserted, rows)
    lead_derived.added_rows(new_rows, links, source.distributor_id)
    owners = record_routing(inserted, routed, links, now)
    response_targets.add_targets(new_rows, owners, now)
    if announce_events:
        announce(inserted, source, owners, quiet=quiet_ids(new_rows, links))
        fresh = [row for row in new_rows if row["id"] not in links]  # re-inquiries: no alert
        notifications.new_leads_stored(fresh, source.distributor_id)
        if owners:  # routed as they were stored: each owner hears once (mail and browser)
            by_owner = assign.by_user(owners)
            notifications.assignments_made(by_owner, job_key=f"routed:{min(owners)}")
    return result


def build_rows(
    raws: Iterable[Any], source: LeadSource, default_region: str, now: datetime
) -> tuple[list[dict[str, Any]], list[Failure], datetime | None]:
    """Normalised, scored column dicts (one per distinct lead id), the failures, and the
    newest Meta created_time among them (for the form's checkpoint)."""
    rows: dict[str, dict[str, Any]] = {}
    failures: list[Failure] = []
    newest: datetime | None = None
    for raw in raws:
        try:
            values = row_values(raw, source, default_region, now)
        except Exception as error:  # a bug meeting strange data must not sink the batch
            # The message could quote the lead's values: log where it failed, not what it said.
            where = "".join(traceback.format_tb(error.__traceback__, limit=-3))
            log.error("lead not processed (form %s): %s\n%s", source.form_id, type(error), where)
            values = Failure(raw, "lead_crashed", {"error": type(error).__name__})
        if isinstance(values, Failure):
            failures.append(values)
            continue
        created = values["meta_created_at"]
        if created is not None and values["parse_error"] != FUTURE_NOTE:
            newest = created if newest is None or created > newest else newest
        rows.setdefault(values["meta_lead_id"], values)
    # Oldest first, so ids follow Meta's time and concurrent inserts lock keys in one order.
    ordered = sorted(rows.values(), key=lambda r: (r["meta_created_at"], r["meta_lead_id"]))
    return ordered, failures, newest


def row_values(
    raw: Any, source: LeadSource, default_region: str, now: datetime
) -> dict[str, Any] | Failure:
    """One raw lead as the columns of its row (scored), or why it must be quarantined."""
    normalized = normalize_lead(raw, default_region=default_region, today=now.date())
    if normalized.error:
        return Failure(raw, normalized.error, normalized.error_params)
    values = normalized.values
    created = values["meta_created_at"]
    if created is None:
        values["meta_created_at"] = now  # unreadable on Meta's side: sort by arrival
    elif created > now + FUTURE_SLACK:  # a clock gone wrong must not move the checkpoint
        values["meta_created_at"] = now
        values["parse_error"] = FUTURE_NOTE
    score, breakdown = lead_scoring.score_values(
        values, now=now, rules=scoring_rules.current_rules()
    )
    values.update(
        meta_page_id=source.page_id,
        meta_form_id=values["meta_form_id"] or source.form_id,
        distributor_id=source.distributor_id,
        source=source.origin,
        status=LeadStatus.NEW.value,
        score=score,
        score_breakdown=breakdown,
        assigned_to_id=None,
        duplicate_of_id=None,
        do_not_contact_at=None,
        do_not_contact_by_id=None,
        do_not_contact_reason=None,
        created_at=now,
        updated_at=now,
        version_id=1,
    )
    return values


def quarantine(failures: Sequence[Failure], source: LeadSource, now: datetime) -> int:
    return lead_quarantine.quarantine(
        failures, config_id=source.config_id, form_id=source.form_id, now=now
    )


def insert_statement():
    return (
        upsert(LEADS).on_conflict_do_nothing(index_elements=["meta_lead_id"]).returning(*RETURNED)
    )


def execute_insert(rows: list[dict[str, Any]]) -> list[sa.Row]:
    """Run the insert for *rows* on the session's connection.

    On PostgreSQL the rows travel as one JSON parameter expanded by `jsonb_to_recordset`:
    psycopg re-parses a many-VALUES statement per placeholder, which made SQLAlchemy's
    insertmanyvalues five times slower than a plain executemany there."""
    if db.session.get_bind().dialect.name != "postgresql":
        return list(db.session.execute(insert_statement(), rows))
    columns = tuple(rows[0])
    payload = json.dumps(rows, default=json_value, separators=(",", ":"))
    return list(db.session.execute(recordset_insert(columns), {"rows": payload}))


@functools.lru_cache(maxsize=8)
def recordset_insert(columns: tuple[str, ...]) -> sa.TextClause:
    dialect = postgresql.dialect()
    names = ", ".join(columns)
    typed = ", ".join(f"{c} {LEADS.c[c].type.compile(dialect=dialect)}" for c in columns)
    returned = ", ".join(c.name for c in RETURNED)
    return sa.text(
        f"INSERT INTO {LEADS.name} ({names}) SELECT {names} "
        f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({typed}) "
        f"ON CONFLICT (meta_lead_id) DO NOTHING RETURNING {returned}"
    ).columns(*RETURNED)


def insert_rows(
    rows: list[dict[str, Any]], source: LeadSource, result: IngestResult
) -> list[sa.Row]:
    """`INSERT … ON CONFLICT (meta_lead_id) DO NOTHING RETURNING` for a chunk of rows.

    If the database refuses the chunk, the rows go in one by one inside savepoints so a
    single bad row is kept raw in `meta_failed_leads` instead of sinking the others.
    """
    if not rows:
        return []
    try:
        with db.session.begin_nested():
            return execute_insert(rows)
    except (IntegrityError, DataError):
        log.warning("batch insert of %d leads failed; inserting one by one", len(rows))
    inserted: list[sa.Row] = []
    for row in rows:
        try:
            with db.session.begin_nested():
                inserted.extend(execute_insert([row]))
        except (IntegrityError, DataError) as error:
            raw = {"id": row["meta_lead_id"], "field_data": row["form_data"]}
            params = {"error": type(error.orig).__name__}
            quarantine([Failure(raw, "database_refused", params)], source, row["created_at"])
            result.failed += 1
    return inserted


def insert_chunks(
    rows: list[dict[str, Any]], source: LeadSource, result: IngestResult
) -> list[sa.Row]:
    inserted: list[sa.Row] = []
    for start in range(0, len(rows), INSERT_CHUNK):
        inserted.extend(insert_rows(rows[start : start + INSERT_CHUNK], source, result))
    return inserted


def stored_rows(inserted: Sequence[sa.Row], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The column dicts of the rows actually inserted, with their ids."""
    by_lead_id = {row["meta_lead_id"]: row for row in rows}
    return [by_lead_id[r.meta_lead_id] | {"id": r.id} for r in inserted]


def record_routing(
    inserted: Sequence[sa.Row],
    routed: dict[str, assign.Routed],
    links: dict[int, int],
    now: datetime,
) -> dict[int, assign.Routed]:
    """Timeline rows for the leads routed as they were stored; lead id → Routed."""
    # A row's (id, meta_lead_id) by position: reading a Row's fields by name costs ten times
    # as much, and this runs for each lead of a backfill.
    by_id = {row[0]: routed[row[1]] for row in inserted if row[1] in routed}
    assign.log_timeline(by_id, links, now)
    return by_id


def quiet_ids(new_rows: Sequence[dict[str, Any]], links: dict[int, int]) -> set[int]:
    """New leads the browser does not alert about: Meta test leads and re-inquiries."""
    return {row["id"] for row in new_rows if row.get("is_test") or row["id"] in links}


def announce(
    inserted: Sequence[sa.Row],
    source: LeadSource,
    owners: dict[int, assign.Routed] | None = None,
    quiet: set[int] | None = None,
) -> None:
    """Queue `lead_created` per new lead (to the dashboard and its owner, when routed; with
    its owner, and `quiet` for a test lead or re-inquiry) and one `stats_updated` (sent after
    commit)."""
    owners, quiet = owners or {}, quiet or set()
    for row in inserted:
        rooms: str | list[str] = events.DASHBOARD_ROOM
        owner = owners[row.id].user_id if row.id in owners else None
        if owner is not None:
            rooms = [events.DASHBOARD_ROOM, f"user:{owner}"]
        payload = {"id": row.id, "distributor_id": source.distributor_id}
        payload |= {"form_id": source.form_id, "assigned_to_id": owner}
        events.publish("lead_created", payload | {"quiet": row.id in quiet}, to=rooms)
    if inserted:
        events.publish("stats_updated", {"created": len(inserted)}, to=events.DASHBOARD_ROOM)
