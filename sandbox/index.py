"""Sorted lead index with cursor paging (newest first) and time-window filtering."""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Any

Key = tuple[int, int]  # (unix created time, numeric lead id)
MAX_FIELD_SETS = 32


@dataclass
class Page:
    leads: list[dict[str, Any]]
    has_next: bool
    has_previous: bool
    first_key: Key | None
    last_key: Key | None


@dataclass
class LeadIndex:
    """Leads kept oldest-first by (time, id); served newest-first. Caller holds the lock."""

    keys: list[Key] = field(default_factory=list)
    leads: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, key: Key, lead: dict[str, Any]) -> None:
        if not self.keys or key > self.keys[-1]:
            self.keys.append(key)
            self.leads.append(lead)
            return
        pos = bisect_left(self.keys, key)
        self.keys.insert(pos, key)
        self.leads.insert(pos, lead)

    def extend(self, items: list[tuple[Key, dict[str, Any]]]) -> None:
        merged = sorted([*zip(self.keys, self.leads, strict=True), *items], key=lambda kv: kv[0])
        self.keys = [key for key, _ in merged]
        self.leads = [lead for _, lead in merged]

    def remove(self, key: Key) -> None:
        pos = bisect_left(self.keys, key)
        if pos < len(self.keys) and self.keys[pos] == key:
            del self.keys[pos]
            del self.leads[pos]

    def window(self, since: int | None, until: int | None) -> tuple[int, int]:
        """Index range [lo, hi) of leads with since <= time < until (None = unbounded)."""
        lo = 0 if since is None else bisect_left(self.keys, (since, -1))
        hi = len(self.keys) if until is None else bisect_left(self.keys, (until, -1))
        return lo, max(lo, hi)

    def page(
        self,
        bounds: tuple[int, int],
        limit: int,
        *,
        after: Key | None = None,
        before: Key | None = None,
    ) -> Page:
        """Newest-first page inside *bounds*: older than *after*, or newer than *before*."""
        lo, hi = bounds
        if before is not None:
            start = max(lo, bisect_right(self.keys, before))
            end = min(hi, start + limit)
        else:
            end = hi if after is None else min(hi, bisect_left(self.keys, after))
            start = max(lo, end - limit)
        end = max(start, end)
        chunk = self.leads[start:end][::-1]
        return Page(
            leads=chunk,
            has_next=start > lo,
            has_previous=end < hi,
            first_key=self.keys[end - 1] if chunk else None,
            last_key=self.keys[start] if chunk else None,
        )


class JsonCache:
    """Compact JSON per (field set, lead id): pages of leads become string joins, not dumps."""

    def __init__(self) -> None:
        self._by_fields: dict[tuple[str, ...], dict[str, str]] = {}

    def render(self, leads: list[dict[str, Any]], fields: tuple[str, ...]) -> list[str]:
        cache = self._by_fields.get(fields)
        if cache is None:
            if len(self._by_fields) >= MAX_FIELD_SETS:  # odd field lists must not grow memory
                self._by_fields.clear()
            cache = self._by_fields[fields] = {}
        out = []
        for lead in leads:
            text = cache.get(lead["id"])
            if text is None:
                picked = {name: lead[name] for name in fields if name in lead}
                text = cache[lead["id"]] = json.dumps(picked, separators=(",", ":"))
            out.append(text)
        return out

    def forget(self, lead_id: str) -> None:
        for cache in self._by_fields.values():
            cache.pop(lead_id, None)
