"""What the Graph handlers share: the parsed call, JSON responses, limits and paging."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Response, request

from .faults import GraphAPIError
from .index import Page
from .state import SandboxState, TokenInfo
from .util import encode_cursor

JSON_TYPE = "application/json; charset=UTF-8"


@dataclass
class Call:
    """One Graph request after the common checks; handlers read everything from here."""

    state: SandboxState
    method: str
    version: str
    parts: list[str]
    params: dict[str, str]
    token: str | None
    info: TokenInfo | None


def json_response(payload: Any, status: int = 200) -> Response:
    body = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    return Response(body, status, content_type=JSON_TYPE)


def parse_limit(params: dict[str, str], default: int = 25, maximum: int = 100) -> int:
    raw = params.get("limit")
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise GraphAPIError(100, "(#100) Param limit must be a number") from None
    return max(1, min(maximum, value))


def paging_block(call: Call, page: Page, limit: int) -> dict[str, Any] | None:
    """Meta's `paging`: cursors, plus absolute `next`/`previous` URLs that carry the token."""
    if page.first_key is None or page.last_key is None:
        return None
    before, after = encode_cursor(page.first_key), encode_cursor(page.last_key)
    paging: dict[str, Any] = {"cursors": {"before": before, "after": after}}
    base = {k: v for k, v in request.args.to_dict().items() if k not in ("after", "before")}
    if call.token:
        base["access_token"] = call.token
    base["limit"] = str(limit)
    if page.has_next:
        paging["next"] = f"{request.base_url}?{urlencode({**base, 'after': after})}"
    if page.has_previous:
        paging["previous"] = f"{request.base_url}?{urlencode({**base, 'before': before})}"
    return paging
