"""Graph request parameters: `fields` per node type, `filtering`, cursors."""

from __future__ import annotations

import json
from typing import Any

from .faults import GraphAPIError
from .util import decode_cursor, split_fields

LEAD_FIELDS = frozenset({
    "id", "created_time", "field_data", "form_id", "ad_id", "ad_name", "adset_id", "adset_name",
    "campaign_id", "campaign_name", "is_organic", "platform", "custom_disclaimer_responses",
    "partner_name", "retailer_item_id", "home_listing", "vehicle", "post",
})  # fmt: skip
LEAD_DEFAULT = ("created_time", "id", "ad_id", "form_id", "field_data")
FORM_FIELDS = frozenset({
    "id", "name", "status", "locale", "created_time", "leads_count", "organic_leads_count",
    "expired_leads_count", "questions", "page", "page_id", "privacy_policy_url",
    "follow_up_action_url", "allow_organic_lead", "is_optimized_for_quality",
    "block_display_for_non_targeted_viewer", "question_page_custom_headline", "tracking_parameters",
    "thank_you_page", "context_card", "legal_content", "creator", "creator_id", "qualifiers",
    "tcpa_compliance", "follow_up_action_text", "leadgen_export_csv_url",
})  # fmt: skip
FORM_DEFAULT = ("id", "locale", "name", "status")
PAGE_FIELDS = frozenset({"id", "name", "access_token", "category", "category_list", "tasks"})
FILTER_OPERATORS = {"GREATER_THAN", "GREATER_THAN_OR_EQUAL", "LESS_THAN"}


def nonexisting_field(name: str, node_type: str) -> GraphAPIError:
    return GraphAPIError(
        100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})"
    )


def requested_fields(
    params: dict[str, str], known: frozenset[str], default: tuple[str, ...], node_type: str
) -> tuple[str, ...]:
    """The `fields` param as a tuple starting with id; unknown names -> code 100."""
    raw = params.get("fields", "").strip()
    if not raw:
        return default
    names = split_fields(raw)
    for name in names:
        if name == "post_submission_check_result":
            raise GraphAPIError.prefixed(3)
        if name not in known:
            raise nonexisting_field(name, node_type)
    return tuple(dict.fromkeys(["id", *names]))


def parse_filtering(raw: str | None) -> tuple[int | None, int | None]:
    """`filtering` on time_created -> [since, until) in unix seconds (conditions ANDed)."""
    if raw is None or raw.strip() == "":
        return None, None
    try:
        items = json.loads(raw)
    except ValueError:
        raise GraphAPIError(100, "(#100) param filtering must be a JSON array") from None
    if not isinstance(items, list):
        raise GraphAPIError(100, "(#100) param filtering must be a JSON array")
    since: int | None = None
    until: int | None = None
    for item in items:
        field, operator, value = _filter_parts(item)
        if operator == "LESS_THAN":
            until = value if until is None else min(until, value)
        else:
            low = value + 1 if operator == "GREATER_THAN" else value
            since = low if since is None else max(since, low)
    return since, until


def _filter_parts(item: Any) -> tuple[str, str, int]:
    if not isinstance(item, dict):
        raise GraphAPIError(100, "(#100) param filtering[] must be an object")
    field, operator, value = item.get("field"), item.get("operator"), item.get("value")
    if field != "time_created" or operator not in FILTER_OPERATORS:
        raise GraphAPIError(
            100, f"(#100) Filtering field '{field}' with operation '{operator}' is not supported"
        )
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise GraphAPIError(100, "(#100) param filtering[value] must be a unix timestamp")
    try:
        return field, operator, int(float(value))
    except ValueError:
        raise GraphAPIError(100, "(#100) param filtering[value] must be a unix timestamp") from None


def cursor_param(params: dict[str, str], name: str) -> tuple[int, int] | None:
    raw = params.get(name)
    if not raw:
        return None
    key = decode_cursor(raw)
    if key is None:
        raise GraphAPIError(100, f"(#100) The {name} cursor is invalid or has expired")
    return key
