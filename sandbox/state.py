"""SandboxState: the in-memory, thread-safe world the fake Graph API serves."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .faults import Fault, take_fault
from .forms import FORM_KINDS, SPECS, AdRef, SandboxForm, build_ads, build_questions
from .generator import DAY, LeadFactory
from .index import JsonCache, Key, LeadIndex, Page
from .pools import AD_NAMES, ADSET_NAMES
from .util import as_utc, gc_paused, to_unix, utcnow

DEFAULT_PAGE_ID = "100000000000001"
DEFAULT_PAGE_NAME = "MSH Med Tour"
DEFAULT_PAGE_TOKEN = "sandbox-page-token"
DEFAULT_USER_TOKEN = "sandbox-user-token"
DEFAULT_USER_ID = "10000000000000042"
SANDBOX_APP_ID = "900000000000001"
SANDBOX_APP_NAME = "Meta Lead Desk (sandbox)"
MAX_LOG = 20_000
USAGE_WINDOW_S = 600
CALLS_PER_PERCENT = 200


@dataclass
class SandboxPage:
    id: str
    name: str
    access_token: str
    forms: dict[str, SandboxForm] = field(default_factory=dict)
    subscribed_fields: list[str] = field(default_factory=lambda: ["leadgen"])
    category: str = "Medical & Health"


@dataclass(frozen=True)
class TokenInfo:
    kind: str  # PAGE | USER | APP
    page_id: str | None = None
    revoked_subcode: int | None = None


class SandboxState:
    """Pages, forms, leads, faults and the request log, guarded by one lock.

    Public attributes: `pages` (page id -> SandboxPage), `forms` (form id -> SandboxForm),
    `requests_log` (every Graph call as (method, "/v24.0/..." path, query+form params) - params
    include tokens, so never log it), `webhook_url` (the timer delivers there when set),
    `app_secret` / `require_proof` (appsecret_proof checks), `app_id`, `user_token`,
    `min_version` / `strict_versions` (older versions get a warning header, or #2635 if strict).
    """

    def __init__(
        self,
        *,
        seed: int = 7,
        leads_per_form: int = 40,
        app_secret: str = "",
        require_proof: bool = False,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._lock = threading.Lock()
        self.seed = seed
        self.leads_per_form = leads_per_form
        self.app_secret = app_secret
        self.require_proof = require_proof
        self.now: Callable[[], datetime] = now or utcnow
        self.app_id = SANDBOX_APP_ID
        self.app_name = SANDBOX_APP_NAME
        self.user_id = DEFAULT_USER_ID
        self.user_token = DEFAULT_USER_TOKEN
        self.webhook_url: str | None = None
        self.webhook_verify_token: str | None = None
        self.min_version = "v21.0"
        self.strict_versions = False
        self._build()

    def _build(self) -> None:
        self.pages: dict[str, SandboxPage] = {}
        self.forms: dict[str, SandboxForm] = {}
        self.requests_log: list[tuple[str, str, dict[str, str]]] = []
        self._leads: dict[str, dict[str, Any]] = {}
        self._keys: dict[str, Key] = {}
        self._by_form: dict[str, LeadIndex] = {}
        self._by_ad: dict[str, LeadIndex] = {}
        self._ads: dict[str, tuple[str, AdRef]] = {}
        self._faults: list[Fault] = []
        self._revoked: dict[str, int] = {}
        self._json_cache = JsonCache()
        self._factory = LeadFactory(self.seed)
        self._bulk_rng = random.Random(self.seed + 1)
        self._usage_window = (time.monotonic(), 0)  # (window start, calls in it)
        self._round_robin = 0
        self._add_page(DEFAULT_PAGE_ID, DEFAULT_PAGE_NAME, DEFAULT_PAGE_TOKEN, FORM_KINDS)

    def reset(self) -> None:
        """Back to the freshly seeded data; keeps app_secret, require_proof and webhook_url."""
        with self._lock:
            self._build()

    # --- pages, forms, leads -------------------------------------------------------------------

    def add_page(
        self, page_id: str, name: str, access_token: str, kinds: tuple[str, ...] = FORM_KINDS
    ) -> SandboxPage:
        """Add a Page with one form per kind and `leads_per_form` leads spread over 30 days."""
        with self._lock:
            return self._add_page(page_id, name, access_token, kinds)

    def _add_page(
        self, page_id: str, name: str, access_token: str, kinds: tuple[str, ...]
    ) -> SandboxPage:
        if page_id in self.pages:
            raise ValueError(f"page {page_id} exists")
        page = SandboxPage(page_id, name, access_token)
        for kind in kinds:
            number = len(self.forms) + 1
            spec = SPECS[kind]
            form = SandboxForm(
                id=str(200_000_000_000_000 + number),
                page_id=page_id,
                kind=kind,
                name=spec.name,
                locale=spec.locale,
                status="ACTIVE",
                created_time=spec.created_time,
                questions=build_questions(spec, number),
                ads=build_ads(spec, number, (AD_NAMES, ADSET_NAMES)),
            )
            page.forms[form.id] = form
            self.forms[form.id] = form
            self._ads.update((ad.ad_id, (form.id, ad)) for ad in form.ads)
            self._by_form[form.id] = LeadIndex()
        self.pages[page_id] = page
        self._seed_leads(list(page.forms.values()))
        return page

    def _seed_leads(self, forms: list[SandboxForm]) -> None:
        now = to_unix(self.now())
        rng = random.Random(self.seed * 31 + len(self.forms))
        plan = sorted(
            (now - rng.randrange(30 * DAY), index)
            for index in range(len(forms))
            for _ in range(self.leads_per_form)
        )
        for ts, index in plan:
            self._insert(self._factory.lead(forms[index], ts), ts)

    def _insert(self, lead: dict[str, Any], ts: int) -> None:
        key = (ts, int(lead["id"]))
        self._leads[lead["id"]] = lead
        self._keys[lead["id"]] = key
        self._by_form[lead["form_id"]].add(key, lead)
        if "ad_id" in lead:
            self._by_ad.setdefault(lead["ad_id"], LeadIndex()).add(key, lead)

    def form_ids(self) -> list[str]:
        with self._lock:
            return list(self.forms)

    def page_id_of(self, form_id: str) -> str:
        return self.forms[form_id].page_id

    def owner_of(self, object_id: str) -> tuple[str, str] | None:
        """(kind, owning page id) of a page/form/lead/ad id, or None if unknown."""
        with self._lock:
            if object_id in self.pages:
                return "page", object_id
            if object_id in self.forms:
                return "form", self.forms[object_id].page_id
            lead = self._leads.get(object_id)
            if lead is not None:
                return "lead", self.forms[lead["form_id"]].page_id
            if object_id in self._ads:
                return "ad", self.forms[self._ads[object_id][0]].page_id
            return None

    def ad(self, ad_id: str) -> AdRef:
        return self._ads[ad_id][1]

    def add_leads(
        self, form_id: str | None = None, count: int = 1, *, created_time: datetime | None = None
    ) -> list[dict]:
        """Create *count* leads now (or at created_time) on form_id (None = round-robin)."""
        with self._lock:
            if form_id is not None and form_id not in self.forms:
                raise KeyError(form_id)
            ts = to_unix(created_time if created_time is not None else self.now())
            created = []
            for _ in range(count):
                form = self.forms[form_id] if form_id else self._next_form()
                lead = self._factory.lead(form, ts)
                self._insert(lead, ts)
                created.append(dict(lead))
            return created

    def _next_form(self) -> SandboxForm:
        forms = list(self.forms.values())
        form = forms[self._round_robin % len(forms)]
        self._round_robin += 1
        return form

    def add_bulk(self, form_id: str, count: int, *, spread_days: float = 30) -> None:
        """Fast bulk generation: *count* leads spread uniformly over the past *spread_days*."""
        with self._lock, gc_paused():
            form = self.forms[form_id]
            now = to_unix(self.now())
            span = max(1, int(spread_days * DAY))
            stamps = sorted(now - int(self._bulk_rng.random() * span) for _ in range(count))
            items = []
            by_ad: dict[str, list[tuple[Key, dict]]] = {}
            for ts in stamps:
                lead = self._factory.lead(form, ts)
                key = (ts, int(lead["id"]))
                self._leads[lead["id"]] = lead
                self._keys[lead["id"]] = key
                items.append((key, lead))
                if "ad_id" in lead:
                    by_ad.setdefault(lead["ad_id"], []).append((key, lead))
            self._by_form[form_id].extend(items)
            for ad_id, ad_items in by_ad.items():
                self._by_ad.setdefault(ad_id, LeadIndex()).extend(ad_items)

    def leads_of(self, form_id: str) -> list[dict]:
        """All leads of a form, newest first (shallow copies; treat nested values read-only)."""
        with self._lock:
            return [dict(lead) for lead in reversed(self._by_form[form_id].leads)]

    def get_lead(self, lead_id: str) -> dict | None:
        with self._lock:
            lead = self._leads.get(lead_id)
            return None if lead is None else dict(lead)

    def delete_lead(self, lead_id: str) -> bool:
        with self._lock:
            lead = self._leads.pop(lead_id, None)
            if lead is None:
                return False
            key = self._keys.pop(lead_id)
            self._by_form[lead["form_id"]].remove(key)
            if "ad_id" in lead:
                self._by_ad[lead["ad_id"]].remove(key)
            form = self.forms[lead["form_id"]]
            if form.test_lead_id == lead_id:
                form.test_lead_id = None
            self._json_cache.forget(lead_id)
            return True

    def create_test_lead(self, form_id: str, field_data: list | None = None) -> dict:
        """Meta allows one test lead per form; raises ValueError if one exists."""
        with self._lock:
            form = self.forms[form_id]
            if form.test_lead_id is not None:
                raise ValueError("test lead exists")
            ts = to_unix(self.now())
            lead = self._factory.test_lead(form, ts, field_data)
            self._insert(lead, ts)
            form.test_lead_id = lead["id"]
            return dict(lead)

    def test_leads_of(self, form_id: str) -> list[dict]:
        with self._lock:
            lead_id = self.forms[form_id].test_lead_id
            return [] if lead_id is None else [dict(self._leads[lead_id])]

    def counts(self, form_id: str) -> tuple[int, int]:
        """(leads_count, organic_leads_count) of a form."""
        with self._lock:
            leads = self._by_form[form_id].leads
            return len(leads), sum(1 for lead in leads if lead["is_organic"])

    def page_leads(
        self,
        index_id: str,
        window: tuple[int | None, int | None],
        limit: int,
        cursors: tuple[Key | None, Key | None],
    ) -> Page:
        """A newest-first page of a form's (or an ad's) leads. cursors = (after, before)."""
        with self._lock:
            index = self._by_form.get(index_id) or self._by_ad.get(index_id) or LeadIndex()
            bounds = index.window(*window)
            return index.page(bounds, limit, after=cursors[0], before=cursors[1])

    def serialize(self, leads: list[dict], fields: tuple[str, ...]) -> list[str]:
        """Compact JSON per lead with only *fields* (cached per field set)."""
        with self._lock:
            return self._json_cache.render(leads, fields)

    # --- tokens, faults, request log -----------------------------------------------------------

    def token_info(self, token: str) -> TokenInfo | None:
        """What a token is (page/user/app token), or None if the sandbox never issued it."""
        with self._lock:
            return self._token_info(token)

    def _token_info(self, token: str) -> TokenInfo | None:
        subcode = self._revoked.get(token)
        if token == self.user_token:
            return TokenInfo("USER", None, subcode)
        if self.app_secret and token == f"{self.app_id}|{self.app_secret}":
            return TokenInfo("APP", None, subcode)
        for page in self.pages.values():
            if token == page.access_token:
                return TokenInfo("PAGE", page.id, subcode)
        return None

    def revoke_token(self, token: str, subcode: int = 467) -> None:
        """Make a token dead for good: Graph calls fail 190/subcode, debug_token is_valid false."""
        with self._lock:
            self._revoked[token] = subcode

    def inject_fault(
        self,
        code: int,
        *,
        subcode: int | None = None,
        times: int = 1,
        after: int = 0,
        path_contains: str | None = None,
        token: str | None = None,
        delay_s: float = 0.0,
        regain_minutes: int = 0,
    ) -> None:
        """Next matching requests fail with Meta's envelope for *code*, *times* times, once
        *after* matching requests have succeeded. code 0 = slow (sleep delay_s, then answer
        normally); code -1 = a non-JSON 502 page. Raises ValueError on nonsense arguments."""
        fault = Fault(code, subcode, times, after, path_contains, token, delay_s, regain_minutes)
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def take_fault(self, path: str, token: str | None) -> Fault | None:
        """The fault this request triggers, if any; counts successes toward `after`."""
        with self._lock:
            return take_fault(self._faults, path, token)

    def record_request(self, method: str, path: str, params: dict[str, str]) -> None:
        with self._lock:
            started, calls = self._usage_window
            now = time.monotonic()
            self._usage_window = (
                (now, 1) if now - started > USAGE_WINDOW_S else (started, calls + 1)
            )
            self.requests_log.append((method, path, params))
            if len(self.requests_log) > MAX_LOG:
                del self.requests_log[: MAX_LOG // 2]

    def app_usage(self, throttled: bool = False) -> dict[str, int]:
        """X-App-Usage percentages: 200 calls per 10-minute window = 1%; 100 while throttled."""
        with self._lock:
            used = 100 if throttled else min(99, self._usage_window[1] // CALLS_PER_PERCENT)
        return {"call_count": used, "total_cputime": max(0, used - 1), "total_time": used}

    def clock(self) -> datetime:
        return as_utc(self.now())
