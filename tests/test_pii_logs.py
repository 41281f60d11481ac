"""No PII in logs (SECURITY 14): a sync against the Meta sandbox, searches, a failing request
and error pages, over a real HTTP server with werkzeug's access log on; then every captured
log line (app, werkzeug, urllib3, tracebacks; raw and URL-decoded) is searched for the
names, emails and phone numbers of the synced people."""

import logging
import re
import threading
from urllib.parse import unquote_plus

import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from app.models import FacebookLead, Role
from app.services import meta_configs
from app.tasks import sync_jobs
from sandbox import DEFAULT_PAGE_ID, DEFAULT_PAGE_TOKEN
from tests import factories
from tests.conftest import config_for, reset_schema
from tests.sandbox.fixtures import SANDBOX_APP_SECRET

PERSON_FIELDS = {"full_name", "first_name", "last_name", "email", "phone_number", "phone"}
MIN_LENGTH = 5  # shorter fragments ("Ali", "+90") would match ordinary log text
NUMBER_RE = re.compile(r"\+?\d[\d\s().\-]{5,}\d")


def texts_of(line: str) -> set[str]:
    """The line lower-cased, URL-decoded, and its numbers with their separators taken out."""
    decoded = unquote_plus(unquote_plus(line)).lower()
    numbers = {re.sub(r"\D", "", n) for n in NUMBER_RE.findall(line + " " + decoded)}
    return {line.lower(), decoded} | numbers


def people_of(sandbox, app) -> set[str]:
    """Every name, email and phone the sync stored or Meta sent, as typed and as stored."""
    values = set()
    for form_id in sandbox.state.form_ids():
        for lead in sandbox.state.leads_of(form_id):
            for entry in lead.get("field_data", []):
                if entry.get("name") in PERSON_FIELDS:
                    values.update(str(v) for v in entry.get("values") or [])
    with app.app_context():
        columns = (FacebookLead.first_name, FacebookLead.last_name, FacebookLead.email)
        for row in db.session.execute(sa.select(*columns, FacebookLead.phone)):
            values.update(str(v) for v in row if v)
    found = set()
    for value in values:
        value = value.strip().lower()
        digits = re.sub(r"\D", "", value)
        if len(value) >= MIN_LENGTH and not value.isdigit():
            found.add(value)
        # A phone, however typed (not "0000000": ids are full of such runs).
        if len(digits) >= 7 and len(digits) >= len(value) / 2 and len(set(digits)) >= 4:
            found.add(digits)
    return found


def serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)  # werkzeug's access log is on
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{server.server_port}"


def add_failing_route(app) -> None:
    """A request that fails inside the database with a person's email as a parameter."""

    def fail():
        email = db.session.scalar(sa.select(FacebookLead.email).where(FacebookLead.email != None))  # noqa: E711
        db.session.execute(
            sa.text("SELECT no_such_column FROM facebook_leads WHERE email = :email"),
            {"email": email},
        )

    app.add_url_rule("/test-failing-request", "test_failing_request", fail)


def exercise(url: str, lead) -> None:
    """Searches by name, email and phone, an anonymous search, a note, error pages, a 500."""
    anonymous, staff = requests.Session(), requests.Session()
    staff.post(f"{url}/auth/login", data={"username": "admin", "password": "correct-horse"})
    for q in (lead.first_name, f"{lead.first_name} {lead.last_name}", lead.email, lead.phone):
        assert staff.get(f"{url}/facebook-leads/", params={"q": q}).ok
        assert staff.get(f"{url}/facebook-leads/api/leads", params={"q": q}).ok
    anonymous.get(f"{url}/facebook-leads/", params={"q": lead.email})  # → login?next=…q…
    note = {"interaction_type": "note", "description": f"called {lead.email} {lead.phone}"}
    assert staff.post(f"{url}/facebook-leads/{lead.id}/interactions", json=note).ok
    assert staff.get(f"{url}/facebook-leads/999999", params={"q": lead.email}).status_code == 404
    nul = staff.get(f"{url}/facebook-leads/", params={"q": f"{lead.email}\x00"})
    assert nul.status_code == 400
    assert staff.get(f"{url}/test-failing-request").status_code == 500


def test_no_log_line_names_a_person(database, sandbox, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    config = config_for(
        database,
        META_GRAPH_URL=sandbox.graph_url,
        META_APP_SECRET=SANDBOX_APP_SECRET,
        LOG_LEVEL="DEBUG",
    )
    app = create_app(config)  # created here, so its stdout handler writes into capsys
    add_failing_route(app)
    with app.app_context():
        reset_schema()
        factories.make_user("admin", role=Role.SUPERADMIN)
        config_id = meta_configs.add_config(
            factories.make_distributor(),
            page_id=DEFAULT_PAGE_ID,
            form_ids=sandbox.state.form_ids(),
            token=DEFAULT_PAGE_TOKEN,
        ).id
        db.session.commit()
        outcome = sync_jobs.sync_config(config_id)
        assert sum(f.result.created for f in outcome.forms if f.result) > 50
        lead = db.session.scalar(
            sa.select(FacebookLead)
            .where(FacebookLead.email.is_not(None), FacebookLead.phone.is_not(None))
            .order_by(FacebookLead.id)
        )
        db.session.expunge(lead)
    server, thread, url = serve(app)
    try:
        exercise(url, lead)
    finally:
        server.shutdown()
        thread.join(timeout=5)
    people = people_of(sandbox, app)
    with app.app_context():
        db.engine.dispose()

    out = capsys.readouterr()
    lines = [
        line
        for line in (caplog.text + out.out + out.err).splitlines()
        if not line.split(" ", 3)[-1].startswith("sandbox")  # the fake Meta's own log
    ]
    assert any("q=***" in line for line in lines)  # the searches were logged, redacted
    assert any("test-failing-request" in line for line in lines)
    assert len(people) > 100
    leaks = [
        (person, line)
        for line in lines
        for text in texts_of(line)
        for person in people
        if person in text
    ]
    assert not leaks, leaks[:5]
