"""Walk every registered route as anonymous, staff and superadmin (SECURITY 1 and 3).

`EXPECTED` is the access decision for each (endpoint, method). A new route, or a new method on
an old one, fails `test_every_route_has_an_access_decision` until someone writes its row here.
"""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from app import create_app
from app.extensions import db
from app.models import (
    BulkAction,
    BulkJob,
    ExportAudit,
    FailedLead,
    MetaWebhookEvent,
    Role,
    WebhookEventStatus,
)
from app.services import (
    lead_merge,
    lead_tasks,
    meta_configs,
    notification_prefs,
    saved_views,
    whatsapp,
)
from app.services.routing import rules
from tests import factories
from tests.conftest import config_for, reset_schema

ROLES = ("anonymous", "staff", "superadmin")
USERNAMES = {"staff": "ayse", "superadmin": "admin"}
SKIPPED_PREFIXES = ("/static", "/_sandbox/")
WALKED_METHODS = {"GET", "POST"}  # always tried; any other method a rule declares is tried too

# Outcomes: "ok" = 200; "login" = redirect to /auth/login?next=…; "to:/path" = redirect there;
# "forbidden" = 403; "not_found" = 404; "not_allowed" = 405; "csrf" = refused for a missing token.
LOGIN, OK, FORBIDDEN, NOT_ALLOWED = "login", "ok", "forbidden", "not_allowed"
NOT_FOUND, UNAUTHORIZED = "not_found", "unauthorized"
ACCEPTED = "202"
BULK_JOBS = "to:/facebook-leads/bulk/jobs"
DASHBOARD = "to:/facebook-leads/"
MY_DAY = "to:/facebook-leads/my-day"  # where signing in lands
WA_TEMPLATES = "to:/admin/whatsapp-templates"
HEALTH = "to:/admin/health"
SIGNED_OUT = "to:/auth/login"
ADMIN_DISTRIBUTORS = "to:/admin/distributors"
ADMIN_USERS = "to:/admin/users"
ACCOUNT = "to:/account"
LEAD_PAGE = "to:/facebook-leads/1"  # the walked lead (the first one of a fresh database)
TWO_FACTOR_SETUP = "to:/auth/two-factor/setup"
ADMIN_ROUTING = "to:/admin/routing"


def each(outcome: str) -> dict[str, str]:
    return dict.fromkeys(ROLES, outcome)


# POST outcomes are with CSRF off (the role check itself); the CSRF walk below expects every
# POST to be refused without a token, except the endpoints in CSRF_EXEMPT.
EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("main.index", "GET"): {"anonymous": SIGNED_OUT, "staff": MY_DAY, "superadmin": MY_DAY},
    ("main.index", "POST"): each(NOT_ALLOWED),
    ("main.healthz", "GET"): each(OK),
    ("main.healthz", "POST"): each(NOT_ALLOWED),
    ("auth.login", "GET"): {"anonymous": OK, "staff": MY_DAY, "superadmin": MY_DAY},
    ("auth.login", "POST"): {"anonymous": OK, "staff": MY_DAY, "superadmin": MY_DAY},
    ("auth.forgot_password", "GET"): {"anonymous": OK, "staff": MY_DAY, "superadmin": MY_DAY},
    ("auth.forgot_password", "POST"): {"anonymous": OK, "staff": MY_DAY, "superadmin": MY_DAY},
    ("auth.reset_password", "GET"): each("400"),  # the walk's token is not a valid one
    ("auth.reset_password", "POST"): each("400"),
    ("auth.logout", "GET"): each(NOT_ALLOWED),
    ("auth.logout", "POST"): {"anonymous": LOGIN, "staff": SIGNED_OUT, "superadmin": SIGNED_OUT},
    ("auth.two_factor_code", "GET"): each(SIGNED_OUT),  # no password typed just before
    ("auth.two_factor_code", "POST"): each(SIGNED_OUT),
    ("auth.two_factor_setup", "GET"): {"anonymous": LOGIN, "staff": OK, "superadmin": OK},
    ("auth.two_factor_setup", "POST"): {"anonymous": LOGIN, "staff": OK, "superadmin": OK},
    ("auth.two_factor_new_codes", "GET"): each(NOT_ALLOWED),
    ("auth.two_factor_new_codes", "POST"): {
        "anonymous": LOGIN,
        "staff": TWO_FACTOR_SETUP,
        "superadmin": TWO_FACTOR_SETUP,
    },
    ("auth.two_factor_turn_off", "GET"): each(NOT_ALLOWED),
    ("auth.two_factor_turn_off", "POST"): {
        "anonymous": LOGIN,
        "staff": TWO_FACTOR_SETUP,
        "superadmin": TWO_FACTOR_SETUP,
    },
    # Staff see only their own leads: the walked lead is not theirs, so it is a 404 for them
    # (not a 403: ids must not leak). Actions posted empty are refused with a flash.
    ("leads.index", "GET"): {"anonymous": LOGIN, "staff": OK, "superadmin": OK},
    ("leads.index", "POST"): each(NOT_ALLOWED),
    ("leads.detail", "GET"): {"anonymous": LOGIN, "staff": NOT_FOUND, "superadmin": OK},
    ("leads.detail", "POST"): each(NOT_ALLOWED),
    ("leads.complete_task", "GET"): each(NOT_ALLOWED),
    ("leads.complete_task", "POST"): {
        "anonymous": LOGIN,
        "staff": NOT_FOUND,
        "superadmin": LEAD_PAGE,
    },
    ("leads.my_day", "GET"): {"anonymous": LOGIN, "staff": OK, "superadmin": OK},
    ("leads.my_day", "POST"): each(NOT_ALLOWED),
    # Posted empty: "choose My day or the dashboard" (a flash, back to the dashboard).
    ("leads.set_start_page", "GET"): each(NOT_ALLOWED),
    ("leads.set_start_page", "POST"): {
        "anonymous": LOGIN,
        "staff": DASHBOARD,
        "superadmin": DASHBOARD,
    },
    # Saved views: posted empty, "give the view a name" (a flash, back to the dashboard); the
    # walked view is the superadmin's, so it is not the staff member's to delete.
    ("leads.save_view", "GET"): each(NOT_ALLOWED),
    ("leads.save_view", "POST"): {"anonymous": LOGIN, "staff": DASHBOARD, "superadmin": DASHBOARD},
    ("leads.delete_view", "GET"): each(NOT_ALLOWED),
    ("leads.delete_view", "POST"): {
        "anonymous": LOGIN,
        "staff": NOT_FOUND,
        "superadmin": DASHBOARD,
    },
    ("leads.merge", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": NOT_FOUND},
    ("leads.merge", "POST"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": DASHBOARD},
    ("leads.merge_leads", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": NOT_FOUND},
    ("leads.merge_leads", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": DASHBOARD,
    },
    ("leads.undo_merge", "GET"): each(NOT_ALLOWED),
    ("leads.undo_merge", "POST"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": LEAD_PAGE},
    ("leads.new", "GET"): {"anonymous": LOGIN, "staff": OK, "superadmin": OK},
    ("leads.new", "POST"): {"anonymous": LOGIN, "staff": OK, "superadmin": OK},
    ("leads.edit", "GET"): {"anonymous": LOGIN, "staff": NOT_FOUND, "superadmin": OK},
    ("leads.edit", "POST"): {"anonymous": LOGIN, "staff": NOT_FOUND, "superadmin": LEAD_PAGE},
    ("leads.row", "GET"): {"anonymous": LOGIN, "staff": NOT_FOUND, "superadmin": OK},
    ("leads.row", "POST"): each(NOT_ALLOWED),
    ("leads.change_status", "GET"): each(NOT_ALLOWED),
    ("leads.change_status", "POST"): {
        "anonymous": LOGIN,
        "staff": NOT_FOUND,
        "superadmin": DASHBOARD,
    },
    ("leads.assign", "GET"): each(NOT_ALLOWED),
    ("leads.assign", "POST"): {"anonymous": LOGIN, "staff": NOT_FOUND, "superadmin": DASHBOARD},
    ("leads.set_do_not_contact", "GET"): each(NOT_ALLOWED),
    ("leads.set_do_not_contact", "POST"): {
        "anonymous": LOGIN,
        "staff": NOT_FOUND,
        "superadmin": DASHBOARD,
    },
    ("leads.add_interaction", "GET"): each(NOT_ALLOWED),
    ("leads.add_interaction", "POST"): {
        "anonymous": LOGIN,
        "staff": NOT_FOUND,
        "superadmin": DASHBOARD,
    },
    # Exports: staff export their own leads (none here); a built XLSX is its owner's alone
    # (the walked one is the superadmin's and still being built: 202).
    ("bulk.export_csv", "GET"): {"anonymous": LOGIN, "staff": OK, "superadmin": OK},
    ("bulk.export_csv", "POST"): each(NOT_ALLOWED),
    ("bulk.export_json", "GET"): {"anonymous": LOGIN, "staff": OK, "superadmin": OK},
    ("bulk.export_json", "POST"): each(NOT_ALLOWED),
    ("bulk.export_xlsx", "GET"): {"anonymous": LOGIN, "staff": OK, "superadmin": OK},
    ("bulk.export_xlsx", "POST"): each(NOT_ALLOWED),
    ("bulk.download", "GET"): {"anonymous": LOGIN, "staff": NOT_FOUND, "superadmin": ACCEPTED},
    ("bulk.download", "POST"): each(NOT_ALLOWED),
    ("bulk.exports_log", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("bulk.exports_log", "POST"): each(NOT_ALLOWED),
    # Bulk actions: posted empty, refused with a flash; a job is its owner's (and any
    # superadmin's): the walked one is the superadmin's, so staff get 404.
    ("bulk.apply", "GET"): each(NOT_ALLOWED),
    ("bulk.apply", "POST"): {"anonymous": LOGIN, "staff": DASHBOARD, "superadmin": DASHBOARD},
    ("bulk.job", "GET"): {"anonymous": LOGIN, "staff": NOT_FOUND, "superadmin": OK},
    ("bulk.job", "POST"): each(NOT_ALLOWED),
    ("bulk.undo", "GET"): each(NOT_ALLOWED),
    ("bulk.undo", "POST"): {"anonymous": LOGIN, "staff": NOT_FOUND, "superadmin": BULK_JOBS},
    ("bulk.jobs", "GET"): {"anonymous": LOGIN, "staff": OK, "superadmin": OK},
    ("bulk.jobs", "POST"): each(NOT_ALLOWED),
    ("scoring.dashboard", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("scoring.dashboard", "POST"): each(NOT_ALLOWED),
    ("scoring.rules", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("scoring.rules", "POST"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("scoring.rescore", "GET"): each(NOT_ALLOWED),
    ("scoring.rescore", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": "to:/facebook-leads/scoring-rules",
    },
    ("scoring.rescore_status_card", "GET"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": OK,
    },
    ("scoring.rescore_status_card", "POST"): each(NOT_ALLOWED),
    ("analytics.index", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("analytics.index", "POST"): each(NOT_ALLOWED),
    ("analytics.report_mails", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("analytics.report_mails", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": "to:/facebook-leads/analytics/report-mails",
    },
    ("analytics.report_csv", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("analytics.report_csv", "POST"): each(NOT_ALLOWED),
    ("analytics.report_xlsx", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("analytics.report_xlsx", "POST"): each(NOT_ALLOWED),
    # Meta's webhook: no session or CSRF token; the signature is the authentication.
    # (GET and POST share /webhooks/meta, so each endpoint's other method reaches its twin.)
    ("webhooks.verify", "GET"): each(FORBIDDEN),
    ("webhooks.verify", "POST"): each(FORBIDDEN),
    ("webhooks.receive", "GET"): each(FORBIDDEN),
    ("webhooks.receive", "POST"): each(FORBIDDEN),
    # The JSON API answers 401 (not a redirect) to anonymous callers.
    ("api.stats", "GET"): {"anonymous": UNAUTHORIZED, "staff": OK, "superadmin": OK},
    ("api.stats", "POST"): each(NOT_ALLOWED),
    ("api.recent", "GET"): {"anonymous": UNAUTHORIZED, "staff": OK, "superadmin": OK},
    ("api.recent", "POST"): each(NOT_ALLOWED),
    ("api.leads", "GET"): {"anonymous": UNAUTHORIZED, "staff": OK, "superadmin": OK},
    ("api.leads", "POST"): {"anonymous": UNAUTHORIZED, "staff": "400", "superadmin": "400"},
    ("api.create_lead", "GET"): {"anonymous": UNAUTHORIZED, "staff": OK, "superadmin": OK},
    ("api.create_lead", "POST"): {"anonymous": UNAUTHORIZED, "staff": "400", "superadmin": "400"},
    ("api.lead", "GET"): {"anonymous": UNAUTHORIZED, "staff": NOT_FOUND, "superadmin": OK},
    ("api.lead", "POST"): each(NOT_ALLOWED),
    ("api.edit_lead", "GET"): {"anonymous": UNAUTHORIZED, "staff": NOT_FOUND, "superadmin": OK},
    ("api.edit_lead", "POST"): each(NOT_ALLOWED),
    ("api.edit_lead", "PATCH"): {
        "anonymous": UNAUTHORIZED,
        "staff": NOT_FOUND,
        "superadmin": "400",
    },
    ("api.analytics_data", "GET"): {
        "anonymous": UNAUTHORIZED,
        "staff": FORBIDDEN,
        "superadmin": OK,
    },
    ("api.analytics_data", "POST"): each(NOT_ALLOWED),
    # Admin pages: superadmins only, checked once for the whole blueprint. Posted empty, a
    # new-thing form comes back with its errors (200); a confirm button acts and redirects.
    ("admin.distributors", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.distributors", "POST"): each(NOT_ALLOWED),
    ("admin.create_distributor", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.create_distributor", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": OK,
    },
    ("admin.edit_distributor", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    # (An empty POST to an edit form keeps the stored values: saved unchanged, redirected.)
    ("admin.edit_distributor", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": ADMIN_DISTRIBUTORS,
    },
    ("admin.deactivate_distributor", "GET"): each(NOT_ALLOWED),
    ("admin.deactivate_distributor", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": ADMIN_DISTRIBUTORS,
    },
    ("admin.reactivate_distributor", "GET"): each(NOT_ALLOWED),
    ("admin.reactivate_distributor", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": ADMIN_DISTRIBUTORS,
    },
    ("admin.users", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.users", "POST"): each(NOT_ALLOWED),
    ("admin.two_factor_policy", "GET"): each(NOT_ALLOWED),
    ("admin.two_factor_policy", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": ADMIN_USERS,
    },
    ("admin.create_user", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.create_user", "POST"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.deactivate_user", "GET"): each(NOT_ALLOWED),
    ("admin.deactivate_user", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": ADMIN_USERS,
    },
    ("admin.reactivate_user", "GET"): each(NOT_ALLOWED),
    ("admin.reactivate_user", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": ADMIN_USERS,
    },
    ("admin.reset_password", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.reset_password", "POST"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    # Routing. A bare POST moves nothing (no direction) and deletes nothing (no confirmation).
    ("admin.routing", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.routing", "POST"): each(NOT_ALLOWED),
    ("admin.create_rule", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.create_rule", "POST"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.edit_rule", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.edit_rule", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": ADMIN_ROUTING,
    },
    ("admin.move_rule", "GET"): each(NOT_ALLOWED),
    ("admin.move_rule", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": ADMIN_ROUTING,
    },
    ("admin.delete_rule", "GET"): each(NOT_ALLOWED),
    ("admin.delete_rule", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": ADMIN_ROUTING,
    },
    ("admin.user_hours", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    # (An empty POST clears the hours: the team's hours, no limit.)
    ("admin.user_hours", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": ADMIN_USERS,
    },
    ("admin.reroute_user", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.reroute_user", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": ADMIN_USERS,
    },
    ("admin.send_reset_link", "GET"): each(NOT_ALLOWED),
    ("admin.send_reset_link", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": ADMIN_USERS,
    },
    # Meta connections. Empty forms re-render with errors; Meta is unreachable in this walk,
    # so discovery and the connection test render their "Meta did not answer" pages.
    ("admin.configs", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.configs", "POST"): each(NOT_ALLOWED),
    ("admin.create_config", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.create_config", "POST"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.edit_config", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.edit_config", "POST"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    # (Asking Meta is a POST: discovery and the connection test. GET and POST of the forms
    # page share a URL, so each endpoint's other method reaches its twin.)
    ("admin.config_forms", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.config_forms", "POST"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.discover_forms", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.discover_forms", "POST"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.test_config", "GET"): each(NOT_ALLOWED),
    ("admin.test_config", "POST"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.sync_config", "GET"): each(NOT_ALLOWED),
    ("admin.sync_config", "POST"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": HEALTH},
    ("admin.health", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.health", "POST"): each(NOT_ALLOWED),
    ("admin.retry_failed_lead", "GET"): each(NOT_ALLOWED),
    ("admin.retry_failed_lead", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": HEALTH,
    },
    ("account.index", "GET"): {"anonymous": LOGIN, "staff": OK, "superadmin": OK},
    ("account.index", "POST"): {"anonymous": LOGIN, "staff": ACCOUNT, "superadmin": ACCOUNT},
    ("account.password", "GET"): each(NOT_ALLOWED),
    ("account.password", "POST"): {"anonymous": LOGIN, "staff": "400", "superadmin": "400"},
    ("account.unsubscribe", "GET"): each(OK),
    ("account.unsubscribe", "POST"): each(OK),
    ("admin.edit_user", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.edit_user", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": ADMIN_USERS,
    },
    ("admin.retry_mail", "GET"): each(NOT_ALLOWED),
    ("admin.retry_mail", "POST"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": HEALTH},
    # Privacy: superadmins only. Posted empty, the erasure form re-renders (nothing erased).
    ("admin.erase_person", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.erase_person", "POST"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.privacy", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.privacy", "POST"): each(NOT_ALLOWED),
    ("admin.export_person", "GET"): each(NOT_ALLOWED),
    ("admin.export_person", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": "to:/admin/privacy",
    },
    ("admin.retry_webhook_event", "GET"): each(NOT_ALLOWED),
    ("admin.retry_webhook_event", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": HEALTH,
    },
    # WhatsApp templates. An empty new-template post re-renders with errors; an empty edit post
    # keeps the stored values (saved, back to the list); remove deletes it (walked last).
    ("admin.whatsapp_templates", "GET"): {"anonymous": LOGIN, "staff": FORBIDDEN, "superadmin": OK},
    ("admin.whatsapp_templates", "POST"): each(NOT_ALLOWED),
    ("admin.create_whatsapp_template", "GET"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": OK,
    },
    ("admin.create_whatsapp_template", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": OK,
    },
    ("admin.edit_whatsapp_template", "GET"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": OK,
    },
    ("admin.edit_whatsapp_template", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": WA_TEMPLATES,
    },
    ("admin.remove_whatsapp_template", "GET"): each(NOT_ALLOWED),
    ("admin.remove_whatsapp_template", "POST"): {
        "anonymous": LOGIN,
        "staff": FORBIDDEN,
        "superadmin": WA_TEMPLATES,
    },
}
# Anonymous may get a 200 only here (and never with lead data in it).
PUBLIC = {"main.index", "main.healthz", "auth.login", "account.unsubscribe", "auth.forgot_password"}
# Endpoints that take POSTs without a CSRF token: only the (signed) Meta webhook.
# And the mails' one-click unsubscribe (RFC 8058: the signed link is the proof).
CSRF_EXEMPT: set[str] = {"webhooks.receive", "webhooks.verify", "account.unsubscribe"}

SECRET_NAME = "Walkthrough-Secretname"
SECRET_EMAIL = "walkthrough.secret@example.com"
CSRF_FLASH = "Your form expired or was sent from elsewhere."


def walked_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.rule.startswith(SKIPPED_PREFIXES)
    ]


def walked_requests(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, rule) for every route and every method worth trying on it."""
    return sorted(
        (rule.endpoint, method, rule.rule)
        for rule in walked_rules(app)
        for method in WALKED_METHODS | (rule.methods - {"HEAD", "OPTIONS"})
    )


def url_for_rule(app, endpoint: str, rule: str, ids: dict[str, int]) -> str:
    values = {}
    for arg in next(r for r in app.url_map.iter_rules() if r.rule == rule).arguments:
        if arg not in ids:
            pytest.fail(f"{rule}: add a value for <{arg}> to `seed` in the route walk")
        values[arg] = ids[arg]
    return app.url_map.bind("localhost").build(endpoint, values)


def outcome(response, client) -> str:
    if 300 <= response.status_code < 400:
        with client.session_transaction() as sess:
            if any(CSRF_FLASH in message for _, message in sess.get("_flashes", [])):
                return "csrf"
        location = urlsplit(response.headers["Location"])
        assert location.netloc in ("", "localhost"), response.headers["Location"]
        if location.path == "/auth/login" and location.query.startswith("next="):
            return LOGIN
        return f"to:{location.path}"
    body = response.json if response.is_json else None  # some JSON answers are lists
    if isinstance(body, dict) and (body.get("error") or {}).get("code") == "csrf_failed":
        return "csrf"  # the JSON API's answer to a missing token
    names = {200: OK, 401: "unauthorized", 403: FORBIDDEN, 404: "not_found", 405: NOT_ALLOWED}
    return names.get(response.status_code, str(response.status_code))


def seed(app) -> dict[str, int]:
    """The data the walk needs, and the value of each URL argument (`<lead_id>` …)."""
    with app.app_context():
        admin = factories.make_user("admin", role=Role.SUPERADMIN)
        staff = factories.make_user("ayse")
        distributor = factories.make_distributor()
        lead = factories.make_lead(first_name=SECRET_NAME, email=SECRET_EMAIL)
        config = meta_configs.add_config(
            distributor, page_id="1", form_ids=["2"], token="walk-token"
        )
        failed = FailedLead(config_id=config.id, payload={"field_data": []}, reason="no id")
        event = MetaWebhookEvent(leadgen_id="77", payload={}, status=WebhookEventStatus.FAILED)
        export = ExportAudit(
            user_id=admin.id, format="xlsx", selection={}, columns=[], state="building"
        )
        job = BulkJob(
            user_id=admin.id, action=BulkAction.STATUS, params={}, selection={}, state="done"
        )
        db.session.add_all([failed, event, export, job])
        template = whatsapp.save_template(
            None, language="tr", treatment="", body="Merhaba {first_name}", actor=admin
        )
        task = lead_tasks.schedule(lead, due_at=datetime.now(UTC) + timedelta(hours=1), actor=None)
        # The rule names the superadmin: the walk deactivates `ayse` before it edits the rule.
        rule = rules.create_rule(rules.RuleInput(name="Walk", staff_ids=[admin.id]))
        view = saved_views.save_view(admin, "Walk", {"status": "new"})
        other = factories.make_lead()
        merge = lead_merge.merge_leads(lead, other, picks={}, actor=admin)
        db.session.commit()
        return {
            "rule_id": rule.id,
            "lead_id": lead.id,
            "distributor_id": distributor.id,
            "user_id": staff.id,
            "config_id": config.id,
            "failed_id": failed.id,
            "event_id": event.id,
            "task_id": task.id,
            "token": notification_prefs.unsubscribe_token(staff.id, "notify_changes"),
            "export_id": export.id,
            "job_id": job.id,
            "template_id": template.id,
            "view_id": view.id,
            "merge_id": merge.id,
        }


def client_as(app, role: str):
    client = app.test_client()
    if role != "anonymous":
        response = client.post(
            "/auth/login", data={"username": USERNAMES[role], "password": "correct-horse"}
        )
        assert urlsplit(response.headers["Location"]).path == "/facebook-leads/my-day", role
    return client


def walk(app, role: str, ids: dict[str, int]) -> dict[tuple[str, str], str]:
    seen = {}
    for endpoint, method, rule in walked_requests(app):
        client = client_as(app, role)  # fresh each time: logout must not spoil the next request
        response = client.open(url_for_rule(app, endpoint, rule, ids), method=method)
        got = outcome(response, client)
        seen[(endpoint, method)] = got
        if role != "superadmin":
            assert SECRET_NAME.encode() not in response.data, (role, endpoint, method)
            assert SECRET_EMAIL.encode() not in response.data, (role, endpoint, method)
        if role == "anonymous" and got == OK:
            assert endpoint in PUBLIC, f"{endpoint} {method} answers 200 to anonymous"
    return seen


@pytest.fixture
def csrf_app(database):
    app = create_app(config_for(database, WTF_CSRF_ENABLED=True))
    with app.app_context():
        reset_schema()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_every_route_has_an_access_decision(app):
    walked = {(endpoint, method) for endpoint, method, _ in walked_requests(app)}
    missing = walked - EXPECTED.keys()
    assert not missing, f"routes without an access decision in EXPECTED: {sorted(missing)}"
    stale = EXPECTED.keys() - walked
    assert not stale, f"EXPECTED names routes that no longer exist: {sorted(stale)}"
    assert CSRF_EXEMPT.issubset(endpoint for endpoint, _ in walked)


def test_walk_finds_the_known_routes(app):
    """Guard for the walk itself: it must not silently skip real routes."""
    endpoints = {endpoint for endpoint, _, _ in walked_requests(app)}
    assert {"leads.index", "leads.detail", "auth.login", "auth.logout"} <= endpoints


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_decided(app, role):
    ids = seed(app)
    seen = walk(app, role, ids)
    expected = {key: per_role[role] for key, per_role in EXPECTED.items()}
    assert seen == expected


@pytest.mark.parametrize("role", ROLES)
def test_every_post_without_csrf_token_is_refused(csrf_app, role):
    ids = seed(csrf_app)
    for endpoint, method, rule in walked_requests(csrf_app):
        if method != "POST" or EXPECTED[(endpoint, method)][role] == NOT_ALLOWED:
            continue
        client = client_as_with_token(csrf_app, role)
        response = client.post(url_for_rule(csrf_app, endpoint, rule, ids))
        expected = EXPECTED[(endpoint, method)][role] if endpoint in CSRF_EXEMPT else "csrf"
        assert outcome(response, client) == expected, (role, endpoint)
        if role != "anonymous":  # still signed in: the refused POST changed nothing
            assert client.get("/facebook-leads/").status_code in (200, 403)


def client_as_with_token(app, role: str):
    """Sign in through the real form, token and all (CSRF on)."""
    client = app.test_client()
    if role == "anonymous":
        return client
    page = client.get("/auth/login").get_data(as_text=True)
    marker = 'name="csrf_token" type="hidden" value="'
    token = page.split(marker, 1)[1].split('"', 1)[0]
    response = client.post(
        "/auth/login",
        data={"username": USERNAMES[role], "password": "correct-horse", "csrf_token": token},
    )
    assert urlsplit(response.headers["Location"]).path == "/facebook-leads/my-day", role
    return client
