"""The one place that keeps what is derived from a lead in step with the lead's own fields:
its search terms, the status counters, its score and breakdown, its milestones, and the
status history on its timeline.

Every change to a lead comes through here: one lead (`snapshot` before the change, `prepare`
before the flush, `settle` after it), new leads (`added`, `added_rows` for a batch of inserted
rows), or a set of leads changed by one statement (`milestone_values` for the UPDATE,
`moved_counts` for the counters) — so ingestion, the workflow, bulk actions, routing and edits
all agree, and the test factories use it too."""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from app.database import among, insert_many, insert_shared
from app.extensions import db
from app.models import FacebookLead, LeadInteraction, LeadStatus
from app.services import lead_counters, lead_scoring, lead_search, scoring_rules

S = LeadStatus
LEADS = FacebookLead.__table__
SEARCHED = ("first_name", "last_name", "email", "phone", "phone_raw")


@dataclass(frozen=True)
class Snapshot:
    """What a lead's derived data was computed from, taken before a change."""

    counter: lead_counters.Key | None
    status: str
    searched: tuple[Any, ...]
    scored: tuple[Any, ...]


def snapshot(lead: FacebookLead) -> Snapshot:
    return Snapshot(
        lead_counters.key_of(lead),
        status_of(lead),
        tuple(getattr(lead, name) for name in SEARCHED),
        tuple(getattr(lead, name) for name in lead_scoring.SCORED_COLUMNS),
    )


def status_of(lead: FacebookLead) -> str:
    return lead.status.value if hasattr(lead.status, "value") else str(lead.status)


def milestone_values(new: LeadStatus, now: datetime, columns: Any = None) -> dict[str, Any]:
    """The milestone columns a move to *new* sets: for one lead (*columns* None: plain values
    to compare with the lead's own) or as SQL for an UPDATE of many (*columns* = the table's
    columns). The funnel counts leads that reached at least a stage, so qualified_at and the
    first contact stay once set; lost_at goes when a lead is reopened; converted is final."""
    keep = (lambda name: sa.func.coalesce(columns[name], now)) if columns is not None else None
    values: dict[str, Any] = {"lost_at": now if new == S.LOST else None}
    if new == S.CONTACTED:
        values["first_contacted_at"] = keep("first_contacted_at") if keep else now
    if new == S.QUALIFIED:
        values["qualified_at"] = keep("qualified_at") if keep else now
    if new == S.CONVERTED:
        values["converted_at"] = now
    return values


def set_status(lead: FacebookLead, new: LeadStatus, now: datetime | None = None) -> None:
    """Move one lead's status and its milestones (a milestone already reached stays)."""
    now = now or datetime.now(UTC)
    for name, value in milestone_values(new, now).items():
        if value is None or name in ("lost_at", "converted_at") or getattr(lead, name) is None:
            setattr(lead, name, value)
    lead.status = new


def history(lead: FacebookLead, before: Snapshot) -> dict[str, str | None]:
    """from_status/to_status for the timeline row of a change (None when the status stayed)."""
    now_status = status_of(lead)
    if before.status == now_status:
        return {"from_status": None, "to_status": None}
    return {"from_status": before.status, "to_status": now_status}


def prepare(lead: FacebookLead, before: Snapshot, *, extra_results: tuple[str, ...] = ()) -> None:
    """Before the flush: the score, when what it depends on changed (so the stored score and
    the announced one agree, and the lead is written once)."""
    scored = tuple(getattr(lead, name) for name in lead_scoring.SCORED_COLUMNS)
    if scored != before.scored or extra_results:
        rescore(lead, extra_results=extra_results)


def settle(lead: FacebookLead, before: Snapshot) -> None:
    """After the flush: the status counters and, when a searched field changed, the search
    terms. Caller commits."""
    lead_counters.moved(before.counter, lead_counters.key_of(lead))
    if tuple(getattr(lead, name) for name in SEARCHED) != before.searched:
        lead_search.reindex_lead(lead)


def rescore(
    lead: FacebookLead, now: datetime | None = None, extra_results: tuple[str, ...] = ()
) -> None:
    """Recompute the stored score and breakdown from the lead and its logged results (plus
    *extra_results*, not yet stored)."""
    with db.session.no_autoflush:
        stored = db.session.scalars(
            sa.select(LeadInteraction.result).where(
                LeadInteraction.lead_id == lead.id, LeadInteraction.result.is_not(None)
            )
        )
        results = (*stored, *extra_results)
    values = {column: getattr(lead, column) for column in lead_scoring.SCORED_COLUMNS}
    lead.score, lead.score_breakdown = lead_scoring.score_values(
        values, now=now, contact_results=results, rules=scoring_rules.current_rules()
    )


def rescore_stored(
    after_id: int, *, now: datetime, rules: lead_scoring.ScoringRules, size: int = 500
) -> tuple[int, int, int | None]:
    """A batch of stored leads scored again with *rules* (after a change of rules): of what is
    derived from a lead only the score and its breakdown depend on the rules (search terms,
    status counters and milestones do not move), so it is one UPDATE per batch. Returns
    (changed, read, last id; None when done). Caller commits."""
    return lead_scoring.rescore_batch(after_id, now=now, rules=rules, size=size)


def added(lead: FacebookLead) -> None:
    """A lead created one at a time (flushed): its search terms and counter."""
    lead_search.reindex_lead(lead)
    lead_counters.moved(None, lead_counters.key_of(lead))


def added_rows(
    rows: Sequence[Mapping[str, Any]], links: Mapping[int, int], distributor_id: int | None
) -> None:
    """Freshly inserted leads (column dicts with their `id`): search terms and counters, set
    based. *links* maps a re-inquiry's id to its original (re-inquiries are counted hidden)."""
    if not rows:
        return
    lead_search.index_leads(rows)
    lead_counters.bump(
        Counter(
            (
                distributor_id or 0,
                row.get("assigned_to_id") or 0,
                row.get("status") or S.NEW.value,
                bool(row["is_test"]) or row["id"] in links,
            )
            for row in rows
        )
    )


def log_system_rows(rows: Sequence[Mapping[str, Any]]) -> None:
    """Timeline rows written by the system for many leads at once (routing, breaches):
    `lead_interactions` column dicts with a message code + params. Caller commits."""
    insert_many(LeadInteraction.__table__, rows)


def log_shared_rows(groups: Sequence[tuple[Sequence[int], Mapping[str, Any]]]) -> None:
    """One timeline row for each lead of each group, the group's plain values (the same
    columns in every group) shared by its leads — the leads a rule gives one person — in one
    statement that carries each group's values once (`insert_shared`). Caller commits."""
    insert_shared(LeadInteraction.__table__, "lead_id", groups)


# Groups per statement: SQLite allows 500 terms in a compound SELECT.
GROUPS_PER_INSERT = 100


def log_grouped_rows(groups: Sequence[tuple[Sequence[int], Mapping[str, Any]]]) -> None:
    """One timeline row for each lead of each group, the group's leads sharing the same
    values (column → a value, or an expression over the lead such as its status): one
    INSERT … SELECT over the ids (a UNION ALL of the groups), nothing per row in Python — a
    bulk change, a rule routing thousands of leads to a few people. The values of every
    group name the same columns. Caller commits."""
    table = LeadInteraction.__table__
    groups = [(ids, values) for ids, values in groups if ids]
    for start in range(0, len(groups), GROUPS_PER_INSERT):
        selects = []
        for ids, values in groups[start : start + GROUPS_PER_INSERT]:
            columns = [LEADS.c.id] + [
                v if isinstance(v, sa.ColumnElement) else sa.literal(v, table.c[k].type)
                for k, v in values.items()
            ]
            selects.append(sa.select(*columns).where(among(LEADS.c.id, ids)))
        names = ["lead_id", *groups[start][1]]
        query = selects[0] if len(selects) == 1 else sa.union_all(*selects)
        db.session.execute(sa.insert(table).from_select(names, query))


def moved_counts(moves: Iterable[tuple[lead_counters.Key | None, lead_counters.Key | None]]):
    """Counters for a set of leads changed by one statement: (before, after) keys."""
    deltas: Counter = Counter()
    for before, after in moves:
        if before != after:
            if before is not None:
                deltas[before] -= 1
            if after is not None:
                deltas[after] += 1
    lead_counters.bump(deltas)
