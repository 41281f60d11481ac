"""Merging two leads of one person (superadmins): the survivor takes the values picked field
by field, the other lead becomes its re-inquiry (so its Meta lead id stays stored and Meta
never brings it back as new), and the survivor's timeline shows both leads' rows. A merge can
be undone for 15 minutes. Callers commit."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app import messages
from app.errors import ValidationError
from app.extensions import db
from app.models import FacebookLead, InteractionType, LeadInteraction, LeadMerge, User
from app.services import lead_derived, lead_record, lead_workflow

L = FacebookLead
UNDO_WINDOW = timedelta(minutes=15)
# A picked field brings along the columns derived from it.
WITH = {"phone": ("phone", "phone_raw", "country_code"), "country": ("country", "country_code")}


def check_pair(survivor: FacebookLead, other: FacebookLead, actor: User) -> None:
    """Raise (with the reason) when these two leads may not be merged by *actor*."""
    if not actor.is_superadmin:
        raise lead_workflow.NotAllowedError(_("Only a superadmin can merge leads."))
    if survivor.id == other.id:
        raise ValidationError(_("A lead cannot be merged with itself."))
    if survivor.distributor_id != other.distributor_id:
        raise ValidationError(_("Leads of different distributors cannot be merged."))
    if survivor.deleted_at is not None or other.deleted_at is not None:
        raise ValidationError(_("A deleted lead cannot be merged."))
    if active_merge_of(other.id) is not None or active_merge_of(survivor.id) is not None:
        raise ValidationError(_("One of these leads was already merged into another."))


def active_merge_of(other_id: int) -> LeadMerge | None:
    """The merge (not undone) that made *other_id* a re-inquiry of another lead."""
    query = sa.select(LeadMerge).where(
        LeadMerge.other_id == other_id, LeadMerge.undone_at.is_(None)
    )
    return db.session.scalar(query)


def default_picks(survivor: FacebookLead, other: FacebookLead) -> dict[str, str]:
    """What the merge page proposes: the survivor's value, unless only the other has one."""
    return {
        name: "other" if getattr(survivor, name) in (None, "") and getattr(other, name) else "this"
        for name in lead_record.FIELDS
    }


def undo_offer(
    survivor: FacebookLead, now: datetime | None = None
) -> tuple[LeadMerge, datetime] | None:
    """The latest merge into *survivor* that can still be undone, and until when."""
    since = (now or datetime.now(UTC)) - UNDO_WINDOW
    query = sa.select(LeadMerge).where(
        LeadMerge.survivor_id == survivor.id,
        LeadMerge.undone_at.is_(None),
        LeadMerge.created_at >= since,
    )
    found = db.session.scalar(query.order_by(LeadMerge.id.desc()).limit(1))
    return (found, found.created_at + UNDO_WINDOW) if found else None


def merge_leads(
    survivor: FacebookLead,
    other: FacebookLead,
    *,
    picks: Mapping[str, str],
    actor: User,
    expected_version: int | None = None,
) -> LeadMerge:
    """Merge *other* into *survivor*; *picks* names the fields whose value comes from the
    other lead ("other"). Raises NotAllowedError, ValidationError, StaleLeadError."""
    check_pair(survivor, other, actor)
    lead_workflow.check_version(survivor, expected_version)
    unknown = [
        name
        for name, side in picks.items()
        if name not in lead_record.FIELDS or side not in ("this", "other")
    ]
    if unknown:
        raise ValidationError(_("Unknown field: %(fields)s.", fields=", ".join(unknown)[:80]))
    columns = [
        c for name, side in picks.items() if side == "other" for c in WITH.get(name, (name,))
    ]
    values = {column: getattr(other, column) for column in columns}
    children = list(db.session.scalars(sa.select(L.id).where(L.duplicate_of_id == other.id)))
    record = LeadMerge(
        survivor_id=survivor.id,
        other_id=other.id,
        user_id=actor.id,
        before={
            "survivor": {c: getattr(survivor, c) for c in values},
            "survivor_duplicate_of": survivor.duplicate_of_id,
            "other_duplicate_of": other.duplicate_of_id,
            "children": children,
        },
        created_at=datetime.now(UTC),
    )
    db.session.add(record)
    set_link(survivor, None if survivor.duplicate_of_id == other.id else survivor.duplicate_of_id)
    set_link(other, survivor.id)
    move_children(children, survivor.id)
    lead_record.apply_values(
        survivor, values, actor, message=("lead_merged", {"lead_id": other.id})
    )
    note(other, actor, "merged_into", survivor.id)
    return record


def note(lead: FacebookLead, actor: User, code: str, lead_id: int) -> None:
    """The timeline row on the other lead (what happened to it, and where to look)."""
    db.session.add(
        LeadInteraction(
            lead_id=lead.id,
            user_id=actor.id,
            interaction_type=InteractionType.MERGE,
            description=messages.english(code, {"lead_id": lead_id}),
            message_code=code,
            message_params={"lead_id": lead_id},
            created_at=datetime.now(UTC),
        )
    )
    lead_workflow.announce_update(lead, None)


def set_link(lead: FacebookLead, original_id: int | None) -> None:
    """Point *lead* at *original_id* as its re-inquiry (None: it stands alone), counters too."""
    if lead.duplicate_of_id == original_id:
        return
    before = lead_derived.snapshot(lead)
    lead.duplicate_of_id = original_id
    db.session.flush()
    lead_derived.settle(lead, before)


def move_children(ids: list[int], original_id: int) -> None:
    """Re-inquiries of the merged lead now point at the survivor (no chains of links)."""
    if ids:
        db.session.execute(sa.update(L).where(L.id.in_(ids)).values(duplicate_of_id=original_id))


def undo_merge(merge: LeadMerge, *, actor: User, now: datetime | None = None) -> None:
    """Put both leads back as they were before *merge*; only within 15 minutes of it."""
    now = now or datetime.now(UTC)
    if not actor.is_superadmin:
        raise lead_workflow.NotAllowedError(_("Only a superadmin can merge leads."))
    if merge.undone_at is not None:
        raise ValidationError(_("This merge was already undone."))
    if now - merge.created_at.replace(tzinfo=UTC) > UNDO_WINDOW:
        raise ValidationError(_("A merge can only be undone within 15 minutes."))
    survivor = db.session.get(L, merge.survivor_id)
    other = db.session.get(L, merge.other_id)
    before: dict[str, Any] = merge.before
    merge.undone_at = now
    set_link(other, before["other_duplicate_of"])
    set_link(survivor, before["survivor_duplicate_of"])
    move_children(before["children"], other.id)
    params = {"lead_id": other.id}
    lead_record.apply_values(survivor, before["survivor"], actor, message=("merge_undone", params))
    note(other, actor, "merge_undone", survivor.id)
