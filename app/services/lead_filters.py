"""One filter parser for every selection of leads: the dashboard, the API, bulk actions,
exports, analytics and saved views take the same parameters with the same meaning
(DESIGN.md "Wave 2 interfaces": status, assignee, distributor, form, campaign, country,
consent, contact, score_min, score_max, service, platform, date_from, date_to, q, duplicates,
test, deleted, sort). Bad values are ignored, never an error: a filter is a wish, not a command."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.models import FacebookLead, LeadStatus, User
from app.services import lead_search

L = FacebookLead
SORTS = {  # sort → (column, descending); the id breaks ties in the same direction
    "received": ("meta_created_at", True),
    "received_asc": ("meta_created_at", False),
    "score": ("score", True),
    "score_asc": ("score", False),
}
MAX_QUERY_LENGTH = 100
# Dates outside these match every lead anyway; inside, a day's bounds stay valid datetimes.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
PLATFORMS = ("fb", "ig")
SOURCES = ("meta", "manual", "phone", "walk_in", "referral")
CONSENT = ("yes", "no", "unknown")
# ok: may be contacted (an export's "contactable only"); dnc: marked do not contact;
# returning: flagged by the system because a do-not-contact person asked again (still new).
CONTACT = ("ok", "dnc", "returning")
STATUSES = tuple(s.value for s in LeadStatus)
META_ID_RE = re.compile(r"^\d{1,64}$")
COUNTRY_RE = re.compile(r"^[A-Za-z]{2}$")


@dataclass(frozen=True)
class LeadFilters:
    """A selection of leads, parsed leniently from query arguments (`from_args`) and written
    back the same way (`to_args`)."""

    statuses: tuple[str, ...] = ()
    distributor_id: int | None = None
    assignee: int | str | None = None  # a user id, "none" (unassigned) or "me"
    form_id: str | None = None
    campaign_id: str | None = None
    country: str | None = None  # ISO 3166 code from the phone (or the form's country)
    consent: str | None = None  # yes | no | unknown (the form asked nothing)
    contact: str | None = None  # CONTACT
    score_min: int | None = None
    score_max: int | None = None
    service: str | None = None
    platform: str | None = None
    source: str | None = None  # meta, or how a lead entered by hand came (facebook_leads.source)
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None
    include_duplicates: bool = False
    include_test: bool = False
    deleted: bool = False  # only soft-deleted leads (superadmins: to restore them)
    sort: str = "received"

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> "LeadFilters":
        assignee = str(args.get("assignee") or "")
        country = str(args.get("country") or "").strip()
        return cls(
            statuses=tuple(s for s in STATUSES if s in split(args.get("status"))),
            distributor_id=as_int(args.get("distributor")),
            assignee=assignee if assignee in ("none", "me") else as_int(assignee),
            form_id=meta_id(args.get("form")),
            campaign_id=meta_id(args.get("campaign")),
            country=country.upper() if COUNTRY_RE.match(country) else None,
            consent=args.get("consent") if args.get("consent") in CONSENT else None,
            contact=args.get("contact") if args.get("contact") in CONTACT else None,
            score_min=as_int(args.get("score_min"), 0, 100),
            score_max=as_int(args.get("score_max"), 0, 100),
            service=str(args.get("service") or "").strip()[:64] or None,
            platform=args.get("platform") if args.get("platform") in PLATFORMS else None,
            source=args.get("source") if args.get("source") in SOURCES else None,
            date_from=as_date(args.get("date_from")),
            date_to=as_date(args.get("date_to")),
            q=str(args.get("q") or "").strip()[:MAX_QUERY_LENGTH] or None,
            include_duplicates=str(args.get("duplicates")) == "1",
            include_test=str(args.get("test")) == "1",
            deleted=str(args.get("deleted")) == "1",
            sort=args.get("sort") if args.get("sort") in SORTS else "received",
        )

    def to_args(self) -> dict[str, str]:
        """The query arguments that select the same leads (only the non-empty ones)."""
        values = {
            "status": ",".join(self.statuses),
            "distributor": self.distributor_id,
            "assignee": self.assignee,
            "form": self.form_id,
            "campaign": self.campaign_id,
            "country": self.country,
            "consent": self.consent,
            "contact": self.contact,
            "score_min": self.score_min,
            "score_max": self.score_max,
            "service": self.service,
            "platform": self.platform,
            "source": self.source,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "q": self.q,
            "duplicates": "1" if self.include_duplicates else None,
            "test": "1" if self.include_test else None,
            "deleted": "1" if self.deleted else None,
            "sort": self.sort if self.sort != "received" else None,
        }
        return {key: str(value) for key, value in values.items() if value not in (None, "")}

    @property
    def status(self) -> str | None:
        """The one status chosen, if exactly one (the dashboard's status select)."""
        return self.statuses[0] if len(self.statuses) == 1 else None

    @property
    def counter_only(self) -> bool:
        """True when the counters table can answer the total without touching the leads."""
        counted = {"statuses", "distributor_id", "assignee", "include_duplicates"}
        counted |= {"include_test", "sort"}
        return all(
            getattr(self, f.name) == f.default for f in fields(self) if f.name not in counted
        )

    @property
    def active(self) -> bool:
        return self != LeadFilters(sort=self.sort)


def split(value: Any) -> set[str]:
    return {part.strip() for part in str(value or "").split(",") if part.strip()}


def as_int(value: Any, low: int = 1, high: int = 2**31 - 1) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and low <= int(text) <= high else None


def as_date(value: Any) -> date | None:
    """An ISO date, held within FIRST_DAY…LAST_DAY; None when it is not one."""
    try:
        day = date.fromisoformat(str(value or "").strip()) if value else None
    except ValueError:
        return None
    return min(max(day, FIRST_DAY), LAST_DAY) if day else None


def meta_id(value: Any) -> str | None:
    text = str(value or "").strip()
    return text if META_ID_RE.match(text) else None


def assignee_id(filters: LeadFilters, user: User | None) -> int | str | None:
    """The assignee filter with "me" resolved to *user*."""
    if filters.assignee == "me":
        return user.id if user is not None else None
    return filters.assignee


def lead_conditions(
    filters: LeadFilters, tz: str, user: User | None = None
) -> list[sa.ColumnElement[bool]]:
    """WHERE conditions for the filters (visibility is `lead_service.visible_leads`)."""
    assignee = assignee_id(filters, user)
    conditions = [
        L.status.in_(filters.statuses) if filters.statuses else None,
        L.distributor_id == filters.distributor_id if filters.distributor_id else None,
        L.assigned_to_id.is_(None) if assignee == "none" else None,
        L.assigned_to_id == assignee if isinstance(assignee, int) else None,
        L.meta_form_id == filters.form_id if filters.form_id else None,
        L.campaign_id == filters.campaign_id if filters.campaign_id else None,
        L.country_code == filters.country if filters.country else None,
        consent_condition(filters.consent),
        *contact_conditions(filters.contact),
        L.score >= filters.score_min if filters.score_min is not None else None,
        L.score <= filters.score_max if filters.score_max is not None else None,
        L.service == filters.service if filters.service else None,
        L.platform == filters.platform if filters.platform else None,
        L.source == filters.source if filters.source else None,
    ]
    if filters.date_from:
        conditions.append(L.meta_created_at >= day_start(filters.date_from, tz))
    if filters.date_to:
        conditions.append(L.meta_created_at < day_start(filters.date_to + timedelta(days=1), tz))
    if filters.q:
        conditions.append(lead_search.matching(filters.q))
    return [condition for condition in conditions if condition is not None]


def consent_condition(consent: str | None) -> sa.ColumnElement[bool] | None:
    if consent == "yes":
        return L.consent.is_(True)
    if consent == "no":
        return L.consent.is_(False)
    return L.consent.is_(None) if consent == "unknown" else None


def contact_conditions(contact: str | None) -> list[sa.ColumnElement[bool]]:
    if contact == "ok":
        return [L.do_not_contact_at.is_(None)]
    if contact == "dnc":
        return [L.do_not_contact_at.is_not(None)]
    if contact == "returning":
        return [
            L.do_not_contact_at.is_not(None),
            L.do_not_contact_by_id.is_(None),
            L.status == LeadStatus.NEW.value,
        ]
    return []


def ordering(sort: str, columns: Any = L) -> tuple[sa.UnaryExpression, sa.UnaryExpression]:
    """ORDER BY for *sort* over *columns*: the model's, or those of a subquery of it."""
    name, descending = SORTS[sort]
    direction = sa.desc if descending else sa.asc
    return direction(getattr(columns, name)), direction(columns.id)


def day_start(day: date, tz: str) -> datetime:
    return datetime.combine(day, time.min, ZoneInfo(tz)).astimezone(UTC)
