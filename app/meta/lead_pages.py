"""Paging through a form's leads without trusting each page: what a page held, and what was
wrong with it, so a sync moves its checkpoint only over pages it really read.

Graph lists leads newest first and ends the list by leaving out `paging.next` (META_GRAPH_API.md
§0). A page whose `data` is not a list, entries that are not leads, a full page without `next`
(checked by asking for the next cursor), or a body that cannot be parsed (a lead nested
thousands of levels deep, a truncated answer) are problems: the leads around them are still
read, and a body that cannot be parsed is read again lead by lead, so one poison lead is
quarantined alone instead of blocking its whole page forever."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from app.meta.errors import ErrorKind, GraphError

IDS_ONLY = "id,created_time"
Fetch = Callable[[str, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Problem:
    """Something wrong with a page, as a message code + params (see app/messages.py)."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UnreadableLead:
    """A lead whose own answer could not be read either: it is quarantined by id."""

    lead_id: str
    reason: str
    excerpt: str | None


@dataclass
class LeadPage:
    """One page of raw leads, plus what was wrong with it."""

    leads: list[Any]
    problems: list[Problem] = field(default_factory=list)
    unreadable: list[UnreadableLead] = field(default_factory=list)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.leads)

    def __len__(self) -> int:
        return len(self.leads)


@dataclass(frozen=True)
class Request:
    url: str  # a path under the Graph version, or a full `paging.next` URL
    params: dict[str, Any]
    probe: bool = False  # asked with the cursor of a full page that had no `next`


class LeadPager:
    """Yield each page of a form's leads to the last one (see the module docstring).

    *fetch(url, params)* does one GET (retries included) and raises GraphError; *fetch_lead*
    reads one lead by id; *same_origin* says whether a `next` URL may be followed as is."""

    def __init__(
        self,
        fetch: Fetch,
        fetch_lead: Callable[[str], dict[str, Any]],
        same_origin: Callable[[str], bool],
    ) -> None:
        self.fetch, self.fetch_lead, self.same_origin = fetch, fetch_lead, same_origin

    def pages(self, path: str, params: dict[str, Any], limit: int) -> Iterator[LeadPage]:
        request: Request | None = Request(path, params)
        while request is not None:
            body, page = self.read(request)
            if request.probe and raw_count(body):
                page.problems.append(Problem("paging_next_missing"))
            yield page
            request = self.next_request(body, page, path, params, limit)

    def read(self, request: Request) -> tuple[dict[str, Any], LeadPage]:
        try:
            body = self.fetch(request.url, dict(request.params))
        except GraphError as error:
            if not error.unreadable:
                raise
            return self.read_lead_by_lead(request, error)
        return body, page_of(body)

    def read_lead_by_lead(self, request: Request, error: GraphError) -> tuple[dict, LeadPage]:
        """The same page asked for ids only, then each lead on its own: the unreadable ones
        are set aside, the others read. Raises the first error if even the ids cannot be read."""
        try:
            body = self.fetch(*with_fields(request, IDS_ONLY))
        except GraphError:
            raise error from None
        stubs = page_of(body)
        page = LeadPage([], stubs.problems)
        for stub in stubs.leads:
            lead_id = stub.get("id") if isinstance(stub, dict) else None
            if not isinstance(lead_id, str | int) or isinstance(lead_id, bool):
                page.leads.append(stub)  # quarantined by the ingest path (no usable id)
                continue
            try:
                page.leads.append(self.fetch_lead(str(lead_id)))
            except GraphError as lead_error:
                if not lead_error.unreadable:
                    raise
                page.unreadable.append(
                    UnreadableLead(str(lead_id), lead_error.message, lead_error.excerpt)
                )
        return body, page

    def next_request(
        self, body: dict[str, Any], page: LeadPage, path: str, params: dict, limit: int
    ) -> Request | None:
        paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
        next_url = paging.get("next")
        cursors = paging.get("cursors") if isinstance(paging.get("cursors"), dict) else {}
        after = cursors.get("after") if isinstance(cursors.get("after"), str) else None
        if isinstance(next_url, str) and next_url:
            if self.same_origin(next_url):  # with our fields (an ids-only re-read had others)
                return Request(*with_fields(Request(next_url, {}), params["fields"]))
            if after:
                return Request(path, {**params, "after": after})
            raise GraphError(
                -1, None, "paging.next points outside the Graph URL", ErrorKind.PERMANENT
            )
        if raw_count(body) < limit:
            return None  # a short page without `next`: the end of the list
        if after:  # a full page without `next`: the end, unless the next cursor finds more
            return Request(path, {**params, "after": after}, probe=True)
        page.problems.append(Problem("paging_cut_short"))
        return None


def page_of(body: dict[str, Any]) -> LeadPage:
    """The leads of a page body, with a problem for each way it is malformed."""
    data = body.get("data")
    if not isinstance(data, list):
        return LeadPage([], [Problem("page_data_not_list")])
    leads = [entry for entry in data if isinstance(entry, dict)]
    problems = []
    if len(leads) < len(data):
        problems.append(Problem("page_entries_unusable", {"count": len(data) - len(leads)}))
    return LeadPage(leads, problems)


def raw_count(body: dict[str, Any]) -> int:
    data = body.get("data")
    return len(data) if isinstance(data, list) else 0


def with_fields(request: Request, fields: str) -> tuple[str, dict[str, Any]]:
    """*request* asking for other fields (a `next` URL carries its own `fields`)."""
    if not request.params:
        parts = urlsplit(request.url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        query = [(k, v) for k, v in query if k != "fields"] + [("fields", fields)]
        return urlunsplit(parts._replace(query=urlencode(query))), {}
    return request.url, {**request.params, "fields": fields}
