"""A text search's matches, read once a request, at a cost that does not grow with them.

A common name word starts the terms of tens of thousands of leads, and whether each is
shown, and its status, live in `facebook_leads`: counting every match meant looking each one
up, for the page (with its total) and again for the status cards (~300 ms at 20,000
matches on PostgreSQL). So a search is read one of two ways, chosen from the index:

- **narrow** (its rarest word starts at most NARROW terms): every match is read once — id,
  status, both sort keys — and the page, its total and the cards come from those rows, exact;
- **wide**: the page walks the list's own sorted index and checks each lead (the more leads
  match, the sooner a page is full) — against the rarest word's leads read once into a hash
  when it starts at most HASHED terms, else by looking up the lead's terms — and the counts
  come from a sample, the leads behind the rarest word's first SAMPLE terms: a lower bound,
  shown with "+".

Either way a search looks up a few thousand leads at most. NARROW is where reading every
match (~3.5 µs a term on SQLite, ~4.5 on PostgreSQL) costs about what the walk did when each
walked lead's terms were looked up (~50 × shown ÷ matches of them): at a million leads (~800,000
shown) near 4,000 terms, ~15–20 ms above the page without a search. Hashing the word's leads
(~0.2 µs a term) took the words just past that line from +20–30 ms to +5–10 ms."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.dialects import postgresql

from app.extensions import db
from app.models import FacebookLead, User
from app.services import lead_search
from app.services.lead_filters import SORTS, LeadFilters
from app.services.lead_service import filtered_leads

L = FacebookLead
TERMS = lead_search.TERMS
NARROW = 4_000  # terms of the rarest word: a search up to this is read whole
SAMPLE = 500  # terms whose leads a wide search's counts are taken from
# A wide search's rarest word up to this many terms is read into a hash (~0.2 µs a term,
# `in_hashed`) that its page's walk probes; otherwise each walked lead's terms are looked up
# (~2.5 µs), and a page walks ~50 × shown ÷ matches leads. At a million leads the lookups
# cost 3–7 times the hash near NARROW (5,000–7,500 terms) and alike near 20,000.
HASHED = 20_000
MATCH_COLUMNS = (L.status, L.meta_created_at, L.score)  # besides the id


@dataclass(frozen=True)
class Matches:
    """The matches of a search under every filter but the status (the cards count by
    status): all of them when `exact`, else a sample of them."""

    rows: Sequence[Any]  # (id, status, meta_created_at, score)
    exact: bool
    words: tuple[str, ...]  # the query's words (a wide search's page checks each)
    # A wide search's rarest word when it starts at most HASHED terms: a page checks each
    # lead against that word's leads (read once into a hash) instead of looking up its terms
    hashed: str | None = None

    def counts(self) -> dict[str, int]:
        return dict(Counter(row.status for row in self.rows))

    def page(self, statuses: tuple[str, ...], sort: str, limit: int, offset: int) -> list[int]:
        """Ids of a page of an exact read, in the list's order (the id breaks ties)."""
        name, descending = SORTS[sort]
        rows = self.in_statuses(statuses)
        rows.sort(key=lambda row: (getattr(row, name), row.id), reverse=descending)
        return [row.id for row in rows[offset : offset + limit]]

    def total(self, statuses: tuple[str, ...]) -> int:
        return len(self.in_statuses(statuses))

    def in_statuses(self, statuses: tuple[str, ...]) -> list[Any]:
        return [row for row in self.rows if not statuses or row.status in statuses]


def matches(user: User, filters: LeadFilters, tz: str) -> Matches:
    """The matches of *filters* (which have a `q`) for *user*, their statuses aside; read
    once a request (the page and the status cards both ask)."""
    others = replace(filters, statuses=(), sort="received")
    memo = g.setdefault("search_matches", {}) if has_request_context() else {}
    key = (user.id, others, tz)
    if key not in memo:
        memo[key] = read(user, others, tz)
    return memo[key]


def read(user: User, filters: LeadFilters, tz: str) -> Matches:
    words = lead_search.query_words(filters.q or "")
    if not words:
        return Matches([], True, ())
    # Counted once, far enough to tell narrow, hashed and looked-up apart
    stop_at = max(NARROW, HASHED) + 1
    terms, rarest = min((lead_search.count_postings(word, stop_at), word) for word in words)
    narrow = terms <= NARROW
    ids = lead_ids(rarest, terms if narrow else SAMPLE)
    hashed = rarest if not narrow and terms <= HASHED else None
    query = (
        filtered_leads(user, replace(filters, q=None), tz)
        .order_by(None)
        .with_only_columns(L.id, *(unprocessed(column) for column in MATCH_COLUMNS))
        .where(id_in(ids))
        .where(*(has_term(word) for word in words if word != rarest))
    )
    return Matches(db.session.execute(query).all(), narrow, tuple(words), hashed)


def lead_ids(word: str, terms: int) -> list[int]:
    """Ids of the leads of the first *terms* terms starting with *word* (one index range)."""
    found = db.session.execute(lead_search.postings(word).limit(terms)).scalars().all()
    return sorted(set(found))


def wide_page(
    user: User, filters: LeadFilters, found: Matches, limit: int, offset: int, tz: str
) -> list[int]:
    """Ids of a page of a wide search: the list's sorted index walked, each lead checked
    against the `hashed` word's leads and the other words' terms (a correlated lookup per
    lead, which the planner cannot turn into a join of every match)."""
    query = filtered_leads(user, replace(filters, q=None), tz).with_only_columns(L.id)
    query = query.where(*(has_term(word) for word in found.words if word != found.hashed))
    if found.hashed is not None:
        query = query.where(in_hashed(found.hashed))
    return list(db.session.scalars(query.limit(limit).offset(offset)))


def has_term(word: str) -> sa.ColumnElement[bool]:
    """The lead has a term starting with *word* (its (lead_id, term) index entries)."""
    first = lead_search.postings(word).where(TERMS.c.lead_id == L.id).limit(1)
    return first.scalar_subquery().is_not(None)


def in_hashed(word: str) -> sa.ColumnElement[bool]:
    """The lead is one of *word*'s: its leads read once into a hash (PostgreSQL's hashed
    SubPlan, SQLite's IN index) and each walked lead probed. Written `(id IN (…)) IS
    true` so it stays a filter of the walk: as a plain IN, PostgreSQL makes it a join that
    looks up and sorts every match (42 ms instead of 3 for a 7,500-term word)."""
    return L.id.in_(lead_search.postings(word)).is_(sa.true())


def unprocessed(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """*column* as the driver hands it over, under its own name. A match's status is only
    counted and its time only sorted: making each an enum member and an aware UTC datetime
    (`UTCDateTime`) was most of the Python time of reading thousands of them, and the
    stored values sort as the database sorts them (SQLite's times are uniform text)."""
    return sa.type_coerce(column, sa.types.NullType()).label(column.key)


def id_in(ids: list[int]) -> sa.ColumnElement[bool]:
    """`id` is one of *ids*: one array parameter on PostgreSQL (its planner sees how many)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return L.id == sa.any_(sa.bindparam("match_ids", ids, type_=postgresql.ARRAY(sa.Integer)))
    return L.id.in_(ids)
