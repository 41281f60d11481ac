"""The data behind the sync health page and the Meta banner: status, errors in plain words,
runs, reconciliation, quarantined leads and webhook problems (read model; connection tests
are in meta_checks, token checks in meta_tokens)."""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import current_app

from app import messages
from app.extensions import db
from app.meta.client import GraphError
from app.meta.normalize import normalize_lead
from app.models import (
    ConfigStatus,
    FailedLead,
    MetaApiConfig,
    MetaForm,
    MetaWebhookEvent,
    SyncRun,
)
from app.services import lead_quarantine, meta_configs, meta_reconcile, meta_tokens
from app.services.meta_errors import describe
from app.services.meta_lead_service import LeadSource, ingest_raw_leads

log = logging.getLogger(__name__)
EXPIRY_WARNING = meta_tokens.EXPIRY_WARNING


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
    source = LeadSource.of(config, failed.form_id)
    result = ingest_raw_leads([raw], source)
    if result.erased:  # the person was erased meanwhile: their raw copy goes too
        db.session.delete(failed)
        return False, messages.translated("lead_erased", {}, None)
    if result.failed:
        return False, messages.translated("database_refused", {"error": "?"}, None)
    failed.resolved_at = datetime.now(UTC)
    return True, None
