"""The dashboard's active filters as removable chips: what each one is called on screen and the
URL of the same view without it (the phone layout shows them above the cards)."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import gettext as _

from app.i18n.labels import PLATFORM, status_label
from app.meta.treatments import treatment_label
from app.services.lead_filters import LeadFilters

SORT_NAMES = {
    "received_asc": lambda: _("Oldest first"),
    "score": lambda: _("Highest score"),
    "score_asc": lambda: _("Lowest score"),
}
CONSENT_NAMES = {
    "yes": lambda: _("Consent given"),
    "no": lambda: _("Consent not given"),
    "unknown": lambda: _("No consent question"),
}


@dataclass(frozen=True)
class Chip:
    label: str
    url: str  # the dashboard without this filter


def filter_chips(
    filters: LeadFilters, staff: Iterable[Any], distributors: Iterable[Any]
) -> list[Chip]:
    """One chip per non-empty query argument of *filters*."""
    args = filters.to_args()
    names = {str(user.id): user.username for user in staff}
    names |= {"none": _("Unassigned"), "me": _("Mine")}
    sources = {str(d.id): d.name for d in distributors}
    labels = {
        "q": lambda v: f"“{v}”",
        "status": lambda v: ", ".join(status_label(s) for s in v.split(",")),
        "assignee": lambda v: _("Assignee: %(name)s", name=names.get(v, v)),
        "distributor": lambda v: sources.get(v, v),
        "sort": lambda v: SORT_NAMES[v](),
        "score_min": lambda v: _("Score from %(score)s", score=v),
        "score_max": lambda v: _("Score to %(score)s", score=v),
        "service": treatment_label,
        "platform": lambda v: PLATFORM.get(v, v),
        "consent": lambda v: CONSENT_NAMES[v](),
        "date_from": lambda v: _("Received from %(day)s", day=v),
        "date_to": lambda v: _("Received until %(day)s", day=v),
        "duplicates": lambda v: _("Include re-inquiries"),
        "test": lambda v: _("Include Meta test leads"),
        "deleted": lambda v: _("Deleted"),
    }
    chips = []
    for key, value in args.items():
        rest = {k: v for k, v in args.items() if k != key}
        text = labels[key](value) if key in labels else f"{key}: {value}"
        chips.append(Chip(str(text), url_for("leads.index", **rest)))
    return chips
