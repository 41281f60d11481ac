"""A selection of leads for a bulk action or an export: the dashboard's filter (the one parser,
`lead_filters`) or a list of ids, always within what the user may see (`visible_leads`).

Stored selections (bulk jobs, export audits) keep a search `q` only as a keyed hash: the
words someone searched for may be a person's name."""

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from app.errors import ValidationError
from app.models import FacebookLead, User
from app.models.base import MAX_ID
from app.services.lead_filters import LeadFilters, contact_conditions
from app.services.lead_service import filtered_leads, visible_leads

L = FacebookLead
MAX_IDS = 10_000


@dataclass(frozen=True)
class Selection:
    """Leads chosen by *filters*, or by *ids* when given (then only visibility applies)."""

    filters: LeadFilters
    ids: tuple[int, ...] | None = None

    def query(self, user: User, tz: str) -> sa.Select:
        """The selected leads the user may see (deleted ones only with `deleted=1`)."""
        if self.ids is None:
            return filtered_leads(user, self.filters, tz)
        query = visible_leads(user, include_deleted=self.filters.deleted)
        if self.filters.deleted:
            query = query.where(L.deleted_at.is_not(None))
        # "Contactable only" narrows a list of ids too (an export of the ticked leads).
        query = query.where(*contact_conditions(self.filters.contact))
        return query.where(L.id.in_(self.ids)).order_by(L.id)

    def stored(self, secret: str, *, every_id: bool = False) -> dict[str, Any]:
        """What a job or audit row keeps of the selection (a search hashed, never in clear;
        the first 100 ids unless *every_id*)."""
        if self.ids is not None:
            kept = self.ids if every_id else self.ids[:100]
            return {"ids": list(kept), "count": len(self.ids)}
        args: dict[str, Any] = self.filters.to_args()
        if "q" in args:
            args["q"] = hash_query(args["q"], secret)
        return {"filter": args}


def hash_query(q: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), q.encode(), hashlib.sha256).hexdigest()
    return f"hmac:{digest[:24]}"


def parse_ids(value: Any) -> tuple[int, ...]:
    """Lead ids from a list (JSON) or "1,2,3" (a query); raises ValidationError otherwise."""
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, list | tuple):
        raise ValidationError(_("ids must be a list of lead ids."))
    ids: list[int] = []
    for item in value:
        text = str(item).strip() if isinstance(item, int | str) and item is not True else ""
        if not (text.isascii() and text.isdigit() and len(text) <= 10 and 0 < int(text) <= MAX_ID):
            raise ValidationError(_("ids must be a list of lead ids."))
        ids.append(int(text))
    if len(ids) > MAX_IDS:
        raise ValidationError(
            _("Select at most %(count)s leads by id; use a filter for more.", count=MAX_IDS)
        )
    return tuple(dict.fromkeys(ids))


def from_request(args: Mapping[str, Any], *, ids: Any = None, deleted: bool = False) -> Selection:
    """A selection from a filter mapping (query args or a JSON `filter`) and optional ids."""
    filters = LeadFilters.from_args(args)
    if deleted and not filters.deleted:
        filters = LeadFilters.from_args({**filters.to_args(), "deleted": "1"})
    return Selection(filters, parse_ids(ids) if ids not in (None, "") else None)
