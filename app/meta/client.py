"""HTTP client for the Meta Graph API lead endpoints (one per Meta config; HTTP only)."""

import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from app.logging_setup import foreign, foreign_id
from app.meta.errors import (
    DEFAULT_THROTTLE_WAIT_S,
    ErrorKind,
    GraphError,
    classify,
)
from app.meta.lead_pages import LeadPage, LeadPager

log = logging.getLogger(__name__)

LEAD_FIELDS = (
    "id,created_time,field_data,form_id,ad_id,ad_name,adset_id,adset_name,campaign_id,"
    "campaign_name,is_organic,platform,custom_disclaimer_responses"
)
FORM_FIELDS = "id,name,status,locale,created_time,leads_count,questions"
EXCERPT_CHARS = 65_536  # of an unreadable answer, kept with the quarantined lead


def appsecret_proof(token: str, app_secret: str) -> str:
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


class GraphClient:
    """Read access to the Graph API lead endpoints for one Page token."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str,
        version: str,
        app_secret: str = "",
        timeout: float = 20.0,
        max_retries: int = 3,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.version = version
        self.timeout = (min(5.0, timeout), timeout)
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.sleep = sleep
        self.usage: dict[str, Any] = {}
        self.served_version: str | None = None
        self._token = token
        self._proof = appsecret_proof(token, app_secret) if app_secret else None
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {token}"

    def __repr__(self) -> str:  # never show the token
        return f"<GraphClient {self.base_url} {self.version}>"

    def close(self) -> None:
        self._session.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET /{version}/{path}; transient errors retried with backoff; raises GraphError."""
        url = f"{self.base_url}/{self.version}/{path.lstrip('/')}"
        return self._request(url, dict(params or {}))

    def get_me(self) -> dict[str, Any]:
        return self.get("me", {"fields": "id,name"})

    def get_lead(self, lead_id: str) -> dict[str, Any]:
        """One lead by id (the call after a webhook)."""
        return self.get(lead_id, {"fields": LEAD_FIELDS})

    def get_form(self, form_id: str) -> dict[str, Any]:
        """One lead form: name, status, Meta's lead count and its questions."""
        return self.get(
            form_id, {"fields": "id,name,status,leads_count,expired_leads_count,questions"}
        )

    def get_page(self, page_id: str) -> dict[str, Any]:
        return self.get(page_id, {"fields": "id,name"})

    def subscribed_fields(self, page_id: str) -> list[str]:
        """Webhook fields our app receives for the Page ([] = the app is not subscribed)."""
        body = self.get(f"{page_id}/subscribed_apps")
        apps = body.get("data") if isinstance(body.get("data"), list) else []
        return sorted(
            {f for a in apps if isinstance(a, dict) for f in a.get("subscribed_fields") or []}
        )

    def debug_token(self, input_token: str) -> dict[str, Any]:
        """`/debug_token` about *input_token*; call it on a client built with the app token."""
        body = self.get("debug_token", {"input_token": input_token})
        return body.get("data") if isinstance(body.get("data"), dict) else {}

    def list_forms(self, page_id: str) -> list[dict[str, Any]]:
        """Every lead form of a Page, following paging to the end."""
        first = self.get(f"{page_id}/leadgen_forms", {"fields": FORM_FIELDS, "limit": 50})
        return [form for page in self._pages(first) for form in page]

    def iter_lead_pages(
        self, form_id: str, since: datetime | None = None, *, limit: int = 100
    ) -> Iterator[LeadPage]:
        """Yield each page of raw leads of a form (created after *since*) to the last page,
        with what was wrong with it (see `app.meta.lead_pages`)."""
        limit = min(limit, 100)
        params: dict[str, Any] = {"fields": LEAD_FIELDS, "limit": limit}
        if since is not None:
            params["filtering"] = json.dumps(
                [
                    {
                        "field": "time_created",
                        "operator": "GREATER_THAN",
                        "value": int(since.timestamp()),
                    }
                ]
            )
        pager = LeadPager(self._fetch, self.get_lead, self._same_origin)
        yield from pager.pages(f"{form_id}/leads", params, limit)

    def iter_leads(self, form_id: str, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Yield raw lead dicts, following paging.next to the end."""
        for page in self.iter_lead_pages(form_id, since):
            yield from page

    def _fetch(self, url: str, params: dict[str, Any]) -> dict[str, Any]:
        """GET a path under the version, or a full `paging.next` URL as it is."""
        if url.startswith(("http://", "https://")):
            return self._request(url, params)
        return self.get(url, params)

    def _pages(
        self, body: dict[str, Any], *, path: str | None = None, params: dict | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        while True:
            data = body.get("data")
            yield data if isinstance(data, list) else []
            paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
            next_url = paging.get("next")
            if not isinstance(next_url, str) or not next_url:
                return
            if self._same_origin(next_url):
                body = self._request(next_url, {})
            elif path and (after := (paging.get("cursors") or {}).get("after")):
                body = self.get(path, {**(params or {}), "after": after})
            else:
                raise GraphError(
                    -1, None, "paging.next points outside the Graph URL", ErrorKind.PERMANENT
                )

    def _same_origin(self, url: str) -> bool:
        ours, theirs = urlsplit(self.base_url), urlsplit(url)
        return (ours.scheme, ours.netloc) == (theirs.scheme, theirs.netloc)

    def _request(self, url: str, params: dict[str, Any]) -> dict[str, Any]:
        if self._proof and "appsecret_proof=" not in url:
            params["appsecret_proof"] = self._proof
        for attempt in range(self.max_retries + 1):
            try:
                return self._send(url, params)
            except GraphError as error:
                if error.kind != ErrorKind.TRANSIENT or attempt == self.max_retries:
                    raise
                delay = self.backoff_s * (2**attempt) * random.uniform(0.5, 1.5)
                log.warning(  # the message is ours (a timeout, an exception's class name)
                    "graph transient error %s (%s), retry %d in %.2fs",
                    error.code,
                    error.message if error.code in (0, -1) else "-",
                    attempt + 1,
                    delay,
                )
                self.sleep(delay)
        raise AssertionError("unreachable")

    def _send(self, url: str, params: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        path = urlsplit(url).path
        try:
            response = self._session.get(url, params=params, timeout=self.timeout)
        except requests.Timeout:
            raise GraphError(0, None, "request timed out", ErrorKind.TRANSIENT) from None
        except requests.RequestException as error:
            reason = type(error).__name__
            raise GraphError(0, None, f"network error ({reason})", ErrorKind.TRANSIENT) from None
        elapsed_ms = (time.perf_counter() - started) * 1000
        self._read_headers(response)
        trace = response.headers.get("x-fb-trace-id") or response.headers.get("x-fb-request-id")
        log.info(
            "graph GET %s -> %s in %.0fms trace=%s",
            foreign(path),
            response.status_code,
            elapsed_ms,
            foreign_id(trace),
        )
        body = self._json(response)
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            raise self._error(body["error"], response)
        if not isinstance(body, dict):
            raise GraphError(-1, None, "response is not a JSON object", ErrorKind.PERMANENT)
        return body

    def _json(self, response: requests.Response) -> Any:
        """The parsed body. One that cannot be parsed is retried as transient (a cut-off
        answer may come whole next time) unless it is too deeply nested to ever parse."""
        try:
            return response.json()
        except RecursionError:
            reason, kind = "nested too deeply to read", ErrorKind.PERMANENT
        except ValueError:
            reason = "body is not JSON"
            client_error = 400 <= response.status_code < 500
            kind = ErrorKind.PERMANENT if client_error else ErrorKind.TRANSIENT
        raise GraphError(
            -1,
            None,
            f"HTTP {response.status_code}, {reason}",
            kind,
            http_status=response.status_code,
            excerpt=response.text[:EXCERPT_CHARS] if response.status_code < 400 else None,
        )

    def _error(self, envelope: dict[str, Any], response: requests.Response) -> GraphError:
        code = envelope.get("code") if isinstance(envelope.get("code"), int) else -1
        subcode = (
            envelope.get("error_subcode")
            if isinstance(envelope.get("error_subcode"), int)
            else None
        )
        kind = classify(code, envelope.get("is_transient") is True)
        message = str(envelope.get("message") or "unknown Graph error")[:500]
        error = GraphError(
            code,
            subcode,
            message,
            kind,
            fbtrace_id=foreign_id(envelope.get("fbtrace_id")),
            http_status=response.status_code,
        )
        if kind == ErrorKind.THROTTLED:
            error.retry_after_s = self._regain_seconds()
        log.warning(
            "graph error code=%s subcode=%s kind=%s trace=%s", code, subcode, kind, error.fbtrace_id
        )
        return error

    def _read_headers(self, response: requests.Response) -> None:
        self.usage = {}
        self.served_version = response.headers.get("facebook-api-version", self.served_version)
        if warning := response.headers.get("x-ad-api-version-warning"):
            log.warning("Meta version warning for %s: %s", self.version, foreign(warning, 200))
        for header in (
            "x-app-usage",
            "x-business-use-case-usage",
            "x-ad-account-usage",
            "x-page-usage",
        ):
            if raw := response.headers.get(header):
                try:
                    self.usage[header] = json.loads(raw)
                except ValueError:
                    continue

    def _regain_seconds(self) -> float:
        """`estimated_time_to_regain_access` (minutes) from the BUC header, as seconds."""
        minutes = [
            entry.get("estimated_time_to_regain_access", 0)
            for entries in (self.usage.get("x-business-use-case-usage") or {}).values()
            if isinstance(entries, list)
            for entry in entries
            if isinstance(entry, dict)
        ]
        best = max((m for m in minutes if isinstance(m, int | float)), default=0)
        return best * 60.0 if best > 0 else DEFAULT_THROTTLE_WAIT_S
