"""Keyed hashes of erased people, and the check every ingest path makes against them.

A digest is HMAC-SHA256 under a PRIVACY_HASH_KEYS secret of "kind:value" (the value folded
as stored: the Meta lead id, the E.164 phone, the lowercased email). The first key hashes new
tombstones; all keys are checked. A lead-id tombstone always blocks; a phone or email one
blocks only leads submitted before the erasure (the person may come back of their own accord)."""

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import PrivacyTombstone, TombstoneKind

TOMBSTONES = PrivacyTombstone.__table__
CHUNK = 500


def hash_keys() -> list[bytes]:
    raw = current_app.config.get("PRIVACY_HASH_KEYS") or ""
    keys = [key.strip().encode() for key in raw.split(",") if key.strip()]
    if not keys:
        raise RuntimeError("PRIVACY_HASH_KEYS holds no key")
    return keys


def digest(kind: TombstoneKind, value: str, key: bytes | None = None) -> str:
    """The digest a new tombstone stores (under the first key unless *key*)."""
    message = f"{kind.value}:{value}".encode()
    return hmac.new(key or hash_keys()[0], message, hashlib.sha256).hexdigest()


def all_digests(kind: TombstoneKind, value: str) -> list[str]:
    """The digests of *value* under every key (what a check looks for)."""
    return [digest(kind, value, key) for key in hash_keys()]


def any_tombstones() -> bool:
    return db.session.scalar(sa.select(TOMBSTONES.c.id).limit(1)) is not None


def found(digests: Iterable[str]) -> dict[str, datetime]:
    """digest → when its (latest) erasure happened, for the digests that are tombstoned."""
    wanted = sorted(set(digests))
    hits: dict[str, datetime] = {}
    for start in range(0, len(wanted), CHUNK):
        query = sa.select(TOMBSTONES.c.digest, sa.func.max(TOMBSTONES.c.created_at)).where(
            TOMBSTONES.c.digest.in_(wanted[start : start + CHUNK])
        )
        for value, when in db.session.execute(query.group_by(TOMBSTONES.c.digest)):
            hits[value] = when
    return hits


def erased_lead_ids(meta_lead_ids: Iterable[str | None]) -> set[str]:
    """The Meta lead ids of erased people among *meta_lead_ids*."""
    ids = {str(i) for i in meta_lead_ids if i}
    if not ids or not any_tombstones():
        return set()
    by_digest = {d: i for i in ids for d in all_digests(TombstoneKind.LEAD, i)}
    return {by_digest[d] for d in found(by_digest)}


def erased_rows(rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """The `meta_lead_id`s of normalised lead rows that belong to an erased person: the lead
    id itself, or a phone/email erased after the lead was submitted."""
    if not rows or not any_tombstones():
        return set()
    wanted: dict[str, list[tuple[str, bool]]] = {}
    for row in rows:
        lead_id = str(row["meta_lead_id"])
        for kind, value in row_keys(row):
            for d in all_digests(kind, value):
                wanted.setdefault(d, []).append((lead_id, kind == TombstoneKind.LEAD))
    hits = found(wanted)
    received = {str(row["meta_lead_id"]): row.get("meta_created_at") for row in rows}
    blocked: set[str] = set()
    for d, erased_at in hits.items():
        for lead_id, always in wanted[d]:
            submitted = received.get(lead_id)
            if always or submitted is None or submitted < erased_at:
                blocked.add(lead_id)
    return blocked


def row_keys(row: Mapping[str, Any]) -> list[tuple[TombstoneKind, str]]:
    keys = [(TombstoneKind.LEAD, str(row["meta_lead_id"]))]
    if row.get("phone"):
        keys.append((TombstoneKind.PHONE, str(row["phone"])))
    if row.get("email"):
        keys.append((TombstoneKind.EMAIL, str(row["email"]).lower()))
    return keys


def erased_per_form(form_id: str, received_by: datetime | None) -> int:
    """Erased leads of a form (received by *received_by*): reconciliation counts them held."""
    query = sa.select(sa.func.count()).where(
        TOMBSTONES.c.kind == TombstoneKind.LEAD.value, TOMBSTONES.c.form_id == form_id
    )
    if received_by is not None:
        received = TOMBSTONES.c.received_at
        query = query.where(sa.or_(received.is_(None), received <= received_by))
    return db.session.scalar(query) or 0
