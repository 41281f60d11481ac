"""Prefix search over names, emails and phone numbers through `lead_search_terms`.

Each lead gets a handful of folded terms ("yilmaz", "ayse@example.com", "905321234567",
"5321234567"); a query word matches a lead when it is a prefix of one of its terms, so an
index range scan answers it at any table size, identically on SQLite and PostgreSQL."""

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import phonenumbers
import sqlalchemy as sa

from app.extensions import db
from app.models import FacebookLead, LeadSearchTerm

TERMS = LeadSearchTerm.__table__
WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
TURKISH = str.maketrans({"ı": "i", "İ": "i", "I": "i"})
MAX_TERM = 64
MAX_QUERY_WORDS = 5
TOP = "\U0010ffff"  # sorts after every character: `w <= term < w + TOP` is "starts with w"


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case, Turkish dotless i folded, accents stripped: "YILMAZ" and "Yılmaz" → "yilmaz".
    (Names repeat a lot, so results are cached.)"""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text.translate(TURKISH).casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def national_digits(e164: str) -> str | None:
    """The number without its country calling code (`+905321234567` → `5321234567`); calling
    codes are prefix-free, so the first 1–3 digits that form one are it."""
    digits = e164.lstrip("+")
    if not digits.isdigit():
        return None
    for size in (1, 2, 3):
        if int(digits[:size] or 0) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return digits[size:] or None
    return None


def phone_terms(phone: str | None, phone_raw: str | None) -> set[str]:
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    terms = {digits} if digits else set()
    if phone:
        if national := national_digits(phone):
            terms.add(national.lstrip("0"))
    elif phone_raw:
        raw_digits = "".join(ch for ch in phone_raw if ch.isdigit()).lstrip("0")
        if len(raw_digits) >= 3:
            terms.add(raw_digits)
    return terms


def terms_for(values: Mapping[str, Any]) -> set[str]:
    """The search terms of one lead's column values."""
    terms: set[str] = set()
    for key in ("first_name", "last_name"):
        terms.update(WORD_RE.findall(fold(values.get(key) or "")))
    if email := values.get("email"):
        local, _, domain = email.partition("@")
        terms.update((email, domain))
        terms.update(w for w in WORD_RE.findall(fold(local)) if len(w) > 1)
    terms |= phone_terms(values.get("phone"), values.get("phone_raw"))
    return {term[:MAX_TERM] for term in terms if term}


def query_words(q: str) -> list[str]:
    """Folded words of a search box entry; digit-heavy input becomes one phone prefix."""
    digits = "".join(ch for ch in q if ch.isdigit())
    letters = sum(ch.isalpha() for ch in q)
    if len(digits) >= 3 and letters == 0:
        return [digits.lstrip("0") or digits]
    if "@" in q or ("." in q and " " not in q.strip()):
        return [fold(q.strip())[:MAX_TERM]]  # an email or a domain, matched as typed
    words = [w for w in WORD_RE.findall(fold(q)) if not (w.isdigit() and len(w) < 3)]
    return [w[:MAX_TERM] for w in words][:MAX_QUERY_WORDS]


def matching(q: str) -> sa.ColumnElement[bool]:
    """Condition on FacebookLead: every word of *q* starts one of the lead's terms."""
    words = query_words(q)
    if not words:
        return sa.false()  # nothing searchable (only punctuation): nothing matches
    return sa.and_(*(FacebookLead.id.in_(postings(word)) for word in words))


def postings(word: str) -> sa.Select:
    """Ids of the leads with a term starting with *word* (an index range scan)."""
    return sa.select(TERMS.c.lead_id).where(TERMS.c.term >= word, TERMS.c.term < word + TOP)


def count_postings(word: str, stop_at: int) -> int:
    """How many terms start with *word*, counting no further than *stop_at*."""
    found = postings(word).limit(stop_at).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(found)) or 0


def index_leads(rows: Iterable[Mapping[str, Any]]) -> None:
    """Store the terms of freshly inserted leads (rows carry `id` and the searched columns).

    Two plain values per row, so the rows go straight to the driver's executemany: run
    through SQLAlchemy's per-row parameter handling they cost more than the lead insert."""
    terms = [(term, row["id"]) for row in rows for term in terms_for(row)]
    if not terms:
        return
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # COPY: half the time of one INSERT of two unnested arrays, which was already far
        # quicker than a round trip per term (psycopg's executemany).
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {TERMS.name} (term, lead_id) FROM STDIN") as copy:
            for term in terms:
                copy.write_row(term)
        return
    connection.exec_driver_sql(f"INSERT INTO {TERMS.name} (term, lead_id) VALUES (?, ?)", terms)


def reindex_lead(lead: FacebookLead) -> None:
    """Replace one lead's terms after its searched fields changed. Caller commits."""
    db.session.execute(sa.delete(TERMS).where(TERMS.c.lead_id == lead.id))
    values = {
        key: getattr(lead, key)
        for key in ("first_name", "last_name", "email", "phone", "phone_raw")
    }
    index_leads([{"id": lead.id, **values}])
