"""Browser end-to-end fixtures.

`live_server` (module): the real app, Flask-SocketIO in threading mode, served by werkzeug's
threaded server on 127.0.0.1:<ephemeral port> with a file SQLite DB, pointed at a Meta sandbox
that is itself served over HTTP. A distributor and a Meta config cover the sandbox Page; users
`admin` (superadmin), `ayse`, `mehmet` and `zeynep` (staff), all with password correct-horse.
The module starts with one sync, so the dashboard has the sandbox's seeded leads.

`browsing` (test): opens logged-in pages in Debian's Chromium (`/usr/bin/chromium`, never a
Playwright download); records dialogs, page errors and navigations; screenshots every page it opened
into `test-artifacts/e2e/` when the test ends, then closes everything.

These tests run once, on SQLite, whatever TEST_DATABASE_URL says: `live_server` builds its own
SQLite config and `database` is pinned to "sqlite" below.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from app import create_app
from app.extensions import db, socketio
from app.i18n.formats import display_name
from app.models import FacebookLead, Role
from app.services import accounts, lead_workflow, meta_configs
from app.tasks import sync_jobs
from sandbox import (
    DEFAULT_PAGE_ID,
    DEFAULT_PAGE_TOKEN,
    SandboxServer,
    SandboxState,
    create_sandbox_app,
    serve_in_thread,
)
from tests import factories
from tests.conftest import config_for, reset_schema
from tests.sandbox.fixtures import SANDBOX_APP_SECRET

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
SOCKET_IO_CLIENT = ROOT / "static" / "vendor" / "socket.io" / "socket.io.min.js"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct-horse"
VIEWPORT = {"width": 1400, "height": 900}
LEADS_PER_FORM = 20  # 3 forms -> 60 seeded leads: more than one dashboard page (50 rows)


@pytest.fixture(params=["sqlite"])
def database(request) -> str:
    """Pinned: the browser tests run once, on SQLite, even when TEST_DATABASE_URL is set."""
    return request.param


# --- the browser itself --------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def require_chromium() -> None:
    """Skip when Chromium (or the built static/vendor) is missing; fail with REQUIRE_BROWSER=1."""
    missing = [str(p) for p in (CHROMIUM, SOCKET_IO_CLIENT) if not p.exists()]
    if not missing:
        return
    message = f"browser tests need {', '.join(missing)}"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(message + " (REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser(live_server):  # after live_server, so it closes (and drops its sockets) first
    from playwright.sync_api import expect, sync_playwright

    # A busy CI machine (two workers, PostgreSQL and a browser on two cores) can take longer
    # than Playwright's 5 s to answer a submit; a wait that passes costs nothing more.
    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# --- the app over HTTP ---------------------------------------------------------------------------


class QuietHandler(WSGIRequestHandler):
    """werkzeug's handler without the per-request access log (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass(frozen=True)
class LeadRef:
    id: int
    name: str  # as the pages show it (an ALL-CAPITAL name in title case)


@dataclass
class LiveServer:
    url: str
    app: Any
    sandbox: SandboxServer
    config_id: int
    form_id: str  # a sandbox form that asks for full_name, email and phone_number
    users: dict[str, int]
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def in_app(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run fn inside the server process the way a job does: own thread, own app context."""
        box: dict[str, Any] = {}

        def target() -> None:
            try:
                with self.app.app_context():
                    box["value"] = fn(*args, **kwargs)
            except BaseException as exc:  # handed to the caller
                box["error"] = exc

        thread = threading.Thread(target=target, name="e2e-app-call")
        thread.start()
        thread.join(timeout=30)
        if thread.is_alive():
            raise TimeoutError(f"{fn.__name__} did not finish in 30 s")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def sync(self) -> int:
        """One poll sync of the config, as the scheduler runs it; returns the leads it stored."""
        outcome = self.in_app(sync_jobs.sync_config, self.config_id)
        assert outcome.skipped is None, outcome.skipped
        assert all(f.error is None for f in outcome.forms), outcome.forms
        return sum(f.result.created for f in outcome.forms)

    def add_sandbox_lead(self, full_name: str | None = None) -> str:
        """A new lead on the sandbox form (Meta's side), with a unique email and phone so it is
        not a re-inquiry; full_name replaces the generated name when given. Returns its Meta id."""
        lead = self.sandbox.state.add_leads(self.form_id, count=1)[0]
        n = next(self._numbers)
        answers = {
            "email": f"e2e.patient{n}@example.com",
            "phone_number": f"+90 532 700 {n:04d}",
        }
        generated = {e.get("name"): e.get("values") for e in lead["field_data"]}
        if full_name is not None or not generated.get("full_name"):
            answers["full_name"] = full_name or f"E2E Patient {n}"
        # add_leads hands back a shallow copy: field_data is the sandbox's own list, and nothing
        # has served (or cached) this lead yet, so editing it in place changes what Meta answers.
        kept = [e for e in lead["field_data"] if e.get("name") not in answers]
        lead["field_data"][:] = kept + [{"name": k, "values": [v]} for k, v in answers.items()]
        return lead["id"]

    def lead_by_meta_id(self, meta_lead_id: str) -> LeadRef:
        def find() -> LeadRef:
            lead = db.session.scalar(
                sa.select(FacebookLead).where(FacebookLead.meta_lead_id == meta_lead_id)
            )
            assert lead is not None, f"lead {meta_lead_id} was not stored"
            return LeadRef(lead.id, display_name(lead.full_name, lead.phone))

        return self.in_app(find)

    def new_lead(self, full_name: str | None = None, *, assign_to: str | None = None) -> LeadRef:
        """Add a lead on Meta's side, sync it in, optionally assign it (as admin)."""
        meta_id = self.add_sandbox_lead(full_name)
        assert self.sync() == 1
        lead = self.lead_by_meta_id(meta_id)
        if assign_to:
            self.assign(lead.id, assign_to)
        return lead

    def assign(self, lead_id: int, username: str) -> None:
        def run() -> None:
            lead = db.session.get(FacebookLead, lead_id)
            admin = accounts.get_user_by_username("admin")
            lead_workflow.assign(lead, accounts.get_user_by_username(username), actor=admin)
            db.session.commit()

        self.in_app(run)

    def lead_ids_of(self, username: str) -> set[int]:
        """Ids of the (non-deleted) leads assigned to a user."""

        def run() -> set[int]:
            user_id = self.users[username]
            return set(
                db.session.scalars(
                    sa.select(FacebookLead.id).where(
                        FacebookLead.assigned_to_id == user_id, FacebookLead.deleted_at.is_(None)
                    )
                )
            )

        return self.in_app(run)


@pytest.fixture(scope="module")
def e2e_sandbox() -> Iterator[SandboxServer]:
    state = SandboxState(app_secret=SANDBOX_APP_SECRET, leads_per_form=LEADS_PER_FORM)
    server = serve_in_thread(create_sandbox_app(state))
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def live_server(e2e_sandbox: SandboxServer) -> Iterator[LiveServer]:
    config = config_for(
        "sqlite",
        META_GRAPH_URL=e2e_sandbox.graph_url,
        WTF_CSRF_ENABLED=True,  # the browser posts real forms, tokens and all
    )
    app = create_app(config)
    sio_server = socketio.server  # this app's Socket.IO server (each create_app makes one)
    state = e2e_sandbox.state
    form_id = next(f.id for f in state.forms.values() if f.kind == "hair")
    with app.app_context():
        reset_schema()
        users = {"admin": factories.make_user("admin", role=Role.SUPERADMIN)}
        for name in ("ayse", "mehmet", "zeynep"):
            users[name] = factories.make_user(name)
        distributor = accounts.create_distributor("MSH Med Tour")
        meta_config = meta_configs.add_config(
            distributor,
            page_id=DEFAULT_PAGE_ID,
            form_ids=state.form_ids(),
            token=DEFAULT_PAGE_TOKEN,
        )
        db.session.commit()
        user_ids = {name: user.id for name, user in users.items()}
        config_id = meta_config.id
        db.session.remove()

    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="e2e-app-http"
    )
    thread.start()
    live = LiveServer(
        url=f"http://127.0.0.1:{server.server_port}",
        app=app,
        sandbox=e2e_sandbox,
        config_id=config_id,
        form_id=form_id,
        users=user_ids,
    )
    try:
        assert live.sync() == LEADS_PER_FORM * len(state.forms)  # the backfill
        yield live
    finally:
        sio_server.shutdown()  # the Engine.IO service task (before the web server)
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- pages ---------------------------------------------------------------------------------------


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:80]


@pytest.fixture(scope="module")
def login_states() -> dict[str, dict]:
    """Cookies of each user after a real login through the form (one login per user)."""
    return {}


@dataclass
class Browsing:
    browser: Any
    live: LiveServer
    test_name: str
    states: dict[str, dict]
    contexts: list[Any] = field(default_factory=list)
    pages: list[tuple[Any, str]] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    navigations: dict[Any, int] = field(default_factory=dict)
    socket_connects: dict[Any, int] = field(default_factory=dict)

    def context(self, username: str | None = None, **options: Any):
        """A fresh browser context, signed in as *username* (None = anonymous)."""
        if username is not None and username not in self.states:
            self.states[username] = self._log_in(username)
        if username is not None:
            options["storage_state"] = self.states[username]
        options.setdefault("viewport", VIEWPORT)
        context = self.browser.new_context(**options)
        self.contexts.append(context)
        return context

    def _log_in(self, username: str) -> dict:
        from playwright.sync_api import expect

        context = self.browser.new_context(viewport=VIEWPORT)
        try:
            page = context.new_page()
            page.goto(self.live.url + "/auth/login")
            page.fill("#username", username)
            page.fill("#password", PASSWORD)
            page.click("[type=submit]")
            expect(page).to_have_url(re.compile(r"/facebook-leads/my-day$"))
            return context.storage_state()
        finally:
            context.close()

    def open(self, context, path: str, label: str):
        """A new page in *context* at *path*, watched for dialogs, JS errors and navigations."""
        page = context.new_page()
        page.on("dialog", lambda dialog: self._dialog(label, dialog))
        page.on("pageerror", lambda error: self.errors.append(f"{label}: {error}"))
        self.navigations[page] = 0

        def navigated(frame) -> None:
            if frame == page.main_frame:
                self.navigations[page] += 1

        page.on("framenavigated", navigated)
        self.socket_connects[page] = 0

        def frame_received(payload: str | bytes) -> None:
            # Socket.IO CONNECT accepted: "40{...}"; the server's connect handler (room joins)
            # has run by then.
            if isinstance(payload, str) and payload.startswith("40"):
                self.socket_connects[page] += 1

        page.on("websocket", lambda ws: ws.on("framereceived", frame_received))
        self.pages.append((page, label))
        page.goto(self.live.url + path)
        return page

    def _dialog(self, label: str, dialog) -> None:
        self.dialogs.append(f"{label}: {dialog.type} {dialog.message!r}")
        dialog.dismiss()

    def wait_connected(self, page, timeout_s: float = 10.0) -> None:
        """Wait until the page's Socket.IO connection (over a WebSocket) was accepted."""
        deadline = time.monotonic() + timeout_s
        while not self.socket_connects[page]:
            assert time.monotonic() < deadline, "no Socket.IO connection over a WebSocket"
            page.wait_for_timeout(20)  # lets Playwright deliver the page's events

    def mark(self, page) -> None:
        """Set a marker that only survives if the page is never reloaded or navigated."""
        page.evaluate("window.__e2eMarker = 'still-here'")
        self.navigations[page] = 0

    def assert_not_reloaded(self, page) -> None:
        assert page.evaluate("window.__e2eMarker") == "still-here", "the page was reloaded"
        assert self.navigations[page] == 0, "the page navigated"

    def screenshot(self, page, label: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{safe_name(label)}.png"
        page.bring_to_front()  # a background tab renders (and screenshots) slowly
        page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        try:
            for index, (page, label) in enumerate(self.pages, 1):
                if not page.is_closed():
                    self.screenshot(page, f"{self.test_name}-{index}-{label}")
        finally:
            for context in self.contexts:
                context.close()


@pytest.fixture
def browsing(browser, live_server, login_states, request) -> Iterator[Browsing]:
    session = Browsing(browser, live_server, safe_name(request.node.name), login_states)
    try:
        yield session
    finally:
        session.close()
    assert not session.errors, f"JavaScript errors: {session.errors}"
