"""Reading a bulk request: a JSON object with an action, and ids or a filter."""

from typing import Any

from flask import request
from flask_babel import gettext as _

from app.errors import ValidationError
from app.services import lead_selection
from app.services.lead_selection import Selection


def read_body() -> dict[str, Any]:
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        raise ValidationError(_("Send a JSON object."))
    return body


def selection_of(body: dict[str, Any]) -> Selection:
    """The leads a bulk request names: `ids`, or a `filter` holding the dashboard's query
    values (restore selects deleted leads)."""
    ids, filters = body.get("ids"), body.get("filter")
    if ids is None and filters is None:
        raise ValidationError(_("Choose the leads: send ids or a filter."))
    if filters is not None and not isinstance(filters, dict):
        raise ValidationError(_("filter must be an object of dashboard filters."))
    if ids is not None and not ids:
        raise ValidationError(_("No leads are selected."))
    restore = body.get("action") == "restore"
    return lead_selection.from_request(filters or {}, ids=ids, deleted=restore)
