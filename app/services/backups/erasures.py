"""Erasures survive a restore. A backup made before someone was erased still holds their
leads; restoring it over the live database (`--force`) would bring them back. So before the
restore the live database's erasures and tombstones (hashes and counts, no personal data) are
read; afterwards the ones the backup lacks are added, and every restored lead a tombstone
names is erased again, with its copies, exactly as the erasure did."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, PrivacyErasure, PrivacyTombstone
from app.services.privacy import removal, tombstones

ERASURES, TOMBS, LEADS = (
    PrivacyErasure.__table__,
    PrivacyTombstone.__table__,
    FacebookLead.__table__,
)
CHUNK = 2000


@dataclass
class Carried:
    erasures: list[dict[str, Any]] = field(default_factory=list)
    tombstones: list[dict[str, Any]] = field(default_factory=list)


def read_live() -> Carried:
    """The erasures and tombstones of the database about to be replaced (none when it has
    no such tables yet)."""
    with db.engine.connect() as conn:
        if not sa.inspect(conn).has_table(TOMBS.name):
            return Carried()
        return Carried(
            [dict(row._mapping) for row in conn.execute(sa.select(ERASURES))],
            [dict(row._mapping) for row in conn.execute(sa.select(TOMBS))],
        )


def reapply(carried: Carried) -> int:
    """Add the carried erasures the restored database lacks, then erase every restored lead
    a tombstone names; returns how many leads. Caller commits."""
    add_missing(carried)
    if not tombstones.any_tombstones():
        return 0
    erased = 0
    for rows in lead_chunks():
        blocked = tombstones.erased_rows(rows)
        if blocked:
            leads = db.session.scalars(
                sa.select(FacebookLead).where(FacebookLead.meta_lead_id.in_(blocked))
            ).all()
            removal.remove_leads(leads)
            erased += len(leads)
    return erased


def add_missing(carried: Carried) -> None:
    have = {
        (normal(row.created_at), row.actor, row.reason)
        for row in db.session.execute(
            sa.select(ERASURES.c.created_at, ERASURES.c.actor, ERASURES.c.reason)
        )
    }
    known = {
        (kind_of(kind), digest)
        for kind, digest in db.session.execute(sa.select(TOMBS.c.kind, TOMBS.c.digest))
    }
    new_ids: dict[int, int] = {}
    for erasure in carried.erasures:
        if (normal(erasure["created_at"]), erasure["actor"], erasure["reason"]) in have:
            continue
        values = {k: v for k, v in erasure.items() if k != "id"} | {"user_id": None}
        new_ids[erasure["id"]] = db.session.execute(
            sa.insert(ERASURES).values(values).returning(ERASURES.c.id)
        ).scalar_one()
    for tomb in carried.tombstones:
        key = (kind_of(tomb["kind"]), tomb["digest"])
        if key in known:
            continue
        erasure_id = new_ids.get(tomb["erasure_id"], tomb["erasure_id"])
        if erasure_id not in new_ids.values() and not db.session.get(PrivacyErasure, erasure_id):
            continue
        values = {k: v for k, v in tomb.items() if k != "id"} | {"erasure_id": erasure_id}
        db.session.execute(sa.insert(TOMBS).values(values))
        known.add(key)
    db.session.flush()


def kind_of(kind: Any) -> str:
    return str(getattr(kind, "value", kind))


def normal(value: Any) -> Any:
    return value.replace(tzinfo=None) if hasattr(value, "replace") and value else value


def lead_chunks() -> Iterator[list[dict[str, Any]]]:
    columns = (LEADS.c.id, LEADS.c.meta_lead_id, LEADS.c.phone, LEADS.c.email)
    last = 0
    while True:
        rows = db.session.execute(
            sa.select(*columns, LEADS.c.meta_created_at)
            .where(LEADS.c.id > last)
            .order_by(LEADS.c.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return
        last = rows[-1].id
        yield [dict(row._mapping) for row in rows]
