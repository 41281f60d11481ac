"""Is the Meta connection healthy? Connection tests, token checks with alerts, and the data
behind the sync health page (status, errors in plain words, runs, reconciliation)."""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app import messages
from app.extensions import db
from app.meta.client import ErrorKind, GraphClient, GraphError
from app.meta.normalize import normalize_lead
from app.models import (
    ConfigStatus,
    FailedLead,
    MetaApiConfig,
    MetaForm,
    MetaWebhookEvent,
    SyncRun,
)
from app.services import alerts, lead_quarantine, meta_configs, meta_reconcile
from app.services.meta_errors import describe, explain, record_config_error
from app.services.meta_lead_service import LeadSource, ingest_raw_leads

log = logging.getLogger(__name__)
REQUIRED_SCOPES = (
    "leads_retrieval",
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_ads",
)
EXPIRY_WARNING = timedelta(days=7)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def app_client() -> GraphClient | None:
    """A client holding the app token `id|secret`, when both are configured (debug_token)."""
    settings = current_app.config
    if not (settings.get("META_APP_ID") and settings["META_APP_SECRET"]):
        return None
    token = f"{settings['META_APP_ID']}|{settings['META_APP_SECRET']}"
    return GraphClient(
        token,
        base_url=settings["META_GRAPH_URL"],
        version=settings["META_GRAPH_VERSION"],
        app_secret=settings["META_APP_SECRET"],
        timeout=settings["META_HTTP_TIMEOUT"],
        max_retries=1,
    )


def test_connection(config: MetaApiConfig, client: GraphClient) -> list[Check]:
    """Each thing a working connection needs, checked against Meta and said in plain words."""
    checks = [token_check(config, client)]
    if not checks[0].ok:
        return checks
    checks.append(
        attempt(
            "Page",
            lambda: (
                f"Page “{client.get_page(config.page_id).get('name', config.page_id)}” is visible."
            ),
            "The token cannot see Page {page}: is it a token of this Page?",
            config,
        )
    )
    checks.append(
        attempt(
            "Lead forms",
            lambda: forms_detail(config, client),
            "The Page's lead forms cannot be listed.",
            config,
        )
    )
    checks.append(
        attempt(
            "Webhook",
            lambda: webhook_detail(config, client),
            "Cannot read the Page's webhook subscription.",
            config,
        )
    )
    return checks


def token_check(config: MetaApiConfig, client: GraphClient) -> Check:
    debugger = app_client()
    try:
        if debugger is None:
            me = client.get_me()
            return Check(
                "Token",
                True,
                f"The token works (it belongs to “{me.get('name', me.get('id'))}”). "
                "Set META_APP_ID to also check its permissions and expiry.",
            )
        data = debugger.debug_token(meta_configs.read_token(config))
    except GraphError as error:
        return Check("Token", False, explain(error, datetime.now(UTC)))
    if not data.get("is_valid"):
        return Check(
            "Token", False, "Meta says the token is no longer valid: paste a new Page access token."
        )
    missing = [s for s in REQUIRED_SCOPES if s not in (data.get("scopes") or [])]
    if missing:
        return Check(
            "Token",
            False,
            f"The token lacks permission(s) {', '.join(missing)}: "
            "create it again with these granted.",
        )
    return Check(
        "Token",
        True,
        f"Valid {str(data.get('type', '')).lower()} token with the lead "
        f"permissions; {expiry_words(data.get('expires_at'))}.",
    )


def expiry_words(expires_at) -> str:
    if not expires_at:
        return "it does not expire"
    return f"it expires on {datetime.fromtimestamp(int(expires_at), UTC):%d %b %Y}"


def attempt(name: str, work, failure: str, config: MetaApiConfig) -> Check:
    try:
        return Check(name, True, work())
    except GraphError as error:
        return Check(
            name,
            False,
            f"{failure.format(page=config.page_id)} ({explain(error, datetime.now(UTC))})",
        )


def forms_detail(config: MetaApiConfig, client: GraphClient) -> str:
    forms = client.list_forms(config.page_id)
    synced = sum(1 for f in config.forms if f.is_active)
    return f"{len(forms)} lead form(s) on the Page; {synced} synced here."


def webhook_detail(config: MetaApiConfig, client: GraphClient) -> str:
    fields = client.subscribed_fields(config.page_id)
    if "leadgen" in fields:
        return "The Page sends new leads to our webhook at once."
    return (
        "The Page is not subscribed to the leadgen webhook: leads arrive with the poll only "
        "(subscribe the app to the Page to get them within a second)."
    )


def check_token(config: MetaApiConfig, client: GraphClient, debugger: GraphClient | None) -> str:
    """Ask Meta about one config's token; record the answer and alert superadmins when it is
    dead or about to expire. Returns "ok", "expiring", "dead" or "unknown". Caller commits."""
    now = datetime.now(UTC)
    config.token_checked_at = now
    try:
        if debugger is None:
            client.get_me()
            return "ok"
        data = debugger.debug_token(meta_configs.read_token(config))
    except GraphError as error:
        if error.kind == ErrorKind.AUTH:
            mark_needs_reauth(config, error, now)
            return "dead"
        log.warning("token check of config %s: code=%s", config.id, error.code)
        return "unknown"
    if not data.get("is_valid"):
        error = GraphError(190, None, "token is no longer valid", ErrorKind.AUTH)
        mark_needs_reauth(config, error, now)
        return "dead"
    expires = data.get("expires_at")
    config.token_expires_at = datetime.fromtimestamp(int(expires), UTC) if expires else None
    if config.token_expires_at and config.token_expires_at - now < EXPIRY_WARNING:
        alerts.alert_superadmins(config, "expiring")
        return "expiring"
    return "ok"


def mark_needs_reauth(config: MetaApiConfig, error: GraphError, now: datetime) -> None:
    record_config_error(config, error, now, failing=True)  # alerts on the way to needs_reauth


def check_all_tokens() -> dict[str, int]:
    """The daily job: check every active config's token (commits per config)."""
    debugger, outcome = app_client(), {}
    for config in meta_configs.list_active_configs():
        result = check_token(config, meta_configs.build_client(config), debugger)
        db.session.commit()
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


def attention_needed() -> list[MetaApiConfig]:
    """Configs a superadmin must act on (shown as a banner on every page)."""
    soon = datetime.now(UTC) + EXPIRY_WARNING
    return list(
        db.session.scalars(
            sa.select(MetaApiConfig)
            .where(
                MetaApiConfig.is_active,
                sa.or_(
                    MetaApiConfig.status != ConfigStatus.OK, MetaApiConfig.token_expires_at < soon
                ),
            )
            .order_by(MetaApiConfig.id)
        )
    )


@dataclass
class FormHealth:
    form: MetaForm
    stored: int  # stored leads submitted by the time Meta counted
    quarantined: int
    last_run: SyncRun | None

    @property
    def difference(self) -> int | None:
        """Meta's count (less expired leads) minus what we hold now; None before Meta
        counted. Positive: the form is behind."""
        form = self.form
        if form.leads_count_on_meta is None:
            return None
        expected = form.leads_count_on_meta - (form.expired_leads_count_on_meta or 0)
        return expected - self.stored - self.quarantined


@dataclass
class ConfigHealth:
    config: MetaApiConfig
    forms: list[FormHealth]
    runs: list[SyncRun]
    next_run: datetime | None
    webhook_counts: dict[str, int] = field(default_factory=dict)


def health_overview(next_runs: dict[int, datetime | None]) -> list[ConfigHealth]:
    """Everything the sync health page shows, per config."""
    webhook = {
        (cid, status.value): n
        for cid, status, n in db.session.execute(
            sa.select(
                MetaWebhookEvent.config_id, MetaWebhookEvent.status, sa.func.count()
            ).group_by(MetaWebhookEvent.config_id, MetaWebhookEvent.status)
        )
    }
    overview = []
    for config in meta_configs.list_configs():
        runs = recent_runs(config.id)
        forms = [
            FormHealth(
                f,
                meta_reconcile.stored_when_counted(f),
                lead_quarantine.count_held(f.form_id),
                next((r for r in runs if r.form_id == f.form_id), None),
            )
            for f in config.forms
        ]
        counts = {status: n for (cid, status), n in webhook.items() if cid == config.id}
        overview.append(ConfigHealth(config, forms, runs, next_runs.get(config.id), counts))
    return overview


def recent_runs(config_id: int, limit: int = 15) -> list[SyncRun]:
    return list(
        db.session.scalars(
            sa.select(SyncRun)
            .where(SyncRun.config_id == config_id)
            .order_by(SyncRun.id.desc())
            .limit(limit)
        )
    )


def list_webhook_problems(limit: int = 50) -> list[MetaWebhookEvent]:
    """Webhook events that did not end in a stored lead (unknown page, failed, retrying)."""
    return list(
        db.session.scalars(
            sa.select(MetaWebhookEvent)
            .where(MetaWebhookEvent.status.in_(["unknown_page", "failed", "pending"]))
            .order_by(MetaWebhookEvent.id.desc())
            .limit(limit)
        )
    )


def now() -> datetime:
    return datetime.now(UTC)


def next_runs(scheduler) -> dict[int, datetime | None]:
    """config id → the scheduler's next poll (empty when no scheduler runs in this process)."""
    if scheduler is None:
        return {}
    runs = {}
    for job in scheduler.get_jobs():
        if job.id.startswith("sync_meta_config:"):
            runs[int(job.id.split(":")[1])] = getattr(job, "next_run_time", None)
    return runs


def retry_failed_lead(failed: FailedLead) -> tuple[bool, str | None]:
    """Run a quarantined lead through the pipeline again (read again from Meta when its own
    answer could not be read); resolved when it is stored, or was stored meanwhile. Returns
    (stored, why not as a translated message). Caller commits."""
    config = db.session.get(MetaApiConfig, failed.config_id) if failed.config_id else None
    raw = failed.payload
    if isinstance(raw, dict) and "unreadable" in raw and config is not None:
        try:
            raw = meta_configs.build_client(config).get_lead(str(raw.get("id")))
        except GraphError as error:
            return False, messages.translated(*describe(error), None)
    normalized = normalize_lead(raw, default_region=current_app.config["DEFAULT_PHONE_REGION"])
    if normalized.error:
        return False, messages.translated(normalized.error, normalized.error_params, None)
    source = LeadSource(
        config.distributor_id if config else None,
        config.page_id if config else None,
        failed.form_id,
        failed.config_id,
    )
    result = ingest_raw_leads([raw], source)
    if result.failed:
        return False, messages.translated("database_refused", {"error": "?"}, None)
    failed.resolved_at = datetime.now(UTC)
    return True, None
