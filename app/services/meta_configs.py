"""Meta Page connections: creating them, reading their tokens, building their client."""

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from app.crypto import TokenDecryptError, decrypt_token, encrypt_token, mask_token, rotate_token
from app.errors import ValidationError
from app.extensions import db
from app.meta.client import GraphClient, GraphError
from app.models import ConfigStatus, Distributor, MetaApiConfig, MetaForm

log = logging.getLogger(__name__)
ID_RE = re.compile(r"^\d{1,64}$")
VERSION_RE = re.compile(r"^v\d{1,3}\.\d$")


def add_config(
    distributor: Distributor,
    *,
    page_id: str,
    form_ids: Sequence[str],
    token: str,
    interval_minutes: int = 5,
    graph_version: str | None = None,
) -> MetaApiConfig:
    """Create a Page connection with its forms; the token is stored encrypted. Caller commits."""
    validate_config_input(page_id, form_ids, token, interval_minutes, graph_version)
    config = MetaApiConfig(
        distributor=distributor,
        page_id=page_id,
        access_token_encrypted=encrypt_token(token.strip()),
        fetch_interval_minutes=interval_minutes,
        graph_api_version=graph_version,
    )
    db.session.add(config)
    for form_id in dict.fromkeys(form_ids):
        config.forms.append(MetaForm(form_id=form_id))
    db.session.flush()
    return config


def validate_config_input(
    page_id: str, form_ids: Sequence[str], token: str, interval: int, version: str | None
) -> None:
    if not ID_RE.match(page_id):
        raise ValidationError(_("Page id must be the numeric id Meta shows for the Page."))
    if any(not ID_RE.match(f) for f in form_ids):
        raise ValidationError(_("Form ids are numeric."))
    taken = db.session.scalars(sa.select(MetaForm.form_id).where(MetaForm.form_id.in_(form_ids)))
    if taken_ids := list(taken):
        raise ValidationError(
            ngettext(
                "Form already connected: %(ids)s.",
                "Forms already connected: %(ids)s.",
                len(taken_ids),
                ids=", ".join(taken_ids),
            )
        )
    if not token.strip() or len(token) > 1024:
        raise ValidationError(_("The access token is missing or too long."))
    validate_settings(interval, version)


def list_active_configs() -> list[MetaApiConfig]:
    """Configs to sync: active, of an active distributor."""
    return list(
        db.session.scalars(
            sa.select(MetaApiConfig)
            .join(Distributor)
            .where(MetaApiConfig.is_active, Distributor.is_active)
            .order_by(MetaApiConfig.id)
        )
    )


def build_client(config: MetaApiConfig) -> GraphClient:
    """The Graph client for one config, from app settings and its decrypted token."""
    return GraphClient(**client_settings(config))


def client_settings(config: MetaApiConfig) -> dict:
    """GraphClient's arguments for *config* (usable outside the app context, e.g. in a pool)."""
    settings = current_app.config
    return {
        "token": decrypt_token(config.access_token_encrypted),
        "base_url": settings["META_GRAPH_URL"],
        "version": config.graph_api_version or settings["META_GRAPH_VERSION"],
        "app_secret": settings["META_APP_SECRET"],
        "timeout": settings["META_HTTP_TIMEOUT"],
        "max_retries": settings["META_MAX_RETRIES"],
        "backoff_s": settings["META_RETRY_BACKOFF_S"],
    }


def rotate_keys() -> int:
    """Re-encrypt every stored token with the first key. Caller commits."""
    configs = db.session.scalars(sa.select(MetaApiConfig)).all()
    for config in configs:
        config.access_token_encrypted = rotate_token(config.access_token_encrypted)
    return len(configs)


def read_token(config: MetaApiConfig) -> str:
    return decrypt_token(config.access_token_encrypted)


def get_config(config_id: int) -> MetaApiConfig | None:
    return db.session.get(MetaApiConfig, config_id)


def list_configs() -> list[MetaApiConfig]:
    return list(db.session.scalars(sa.select(MetaApiConfig).order_by(MetaApiConfig.id)))


def update_config(
    config: MetaApiConfig,
    *,
    token: str | None,
    interval_minutes: int,
    graph_version: str | None,
    is_active: bool,
) -> None:
    """Change a connection; an empty *token* keeps the stored one. A new token clears
    needs_reauth and any throttle pause (it is worth trying at once). Caller commits."""
    validate_settings(interval_minutes, graph_version)
    if token and token.strip():
        if len(token) > 1024:
            raise ValidationError(_("The access token is too long."))
        config.access_token_encrypted = encrypt_token(token.strip())
        config.status, config.last_error, config.retry_after = ConfigStatus.OK, None, None
        config.consecutive_failures, config.token_expires_at = 0, None
    config.fetch_interval_minutes = interval_minutes
    config.graph_api_version = graph_version or None
    config.is_active = is_active


def validate_settings(interval: int, version: str | None) -> None:
    if not 1 <= interval <= 1440:
        raise ValidationError(_("The fetch interval must be between 1 and 1440 minutes."))
    if version and not VERSION_RE.match(version):
        raise ValidationError(_("Graph API version looks like v25.0."))


def masked_token(config: MetaApiConfig) -> str:
    """A hint of the stored token, for display only: `EAAG…x9Qz` for a Meta-sized token (its
    first and last four of 150+), or just its length for a short one (a few characters of it
    would read as a word, "…oken", and give away a tenth of it)."""
    try:
        token = read_token(config)
    except TokenDecryptError:
        return _("(unreadable: check TOKEN_ENCRYPTION_KEYS)")
    if len(token) >= 40:
        return mask_token(token)
    return ngettext("set, %(num)s character", "set, %(num)s characters", len(token))


def remember_page_name(config: MetaApiConfig, client: GraphClient) -> str | None:
    """Ask Graph for the Page's name and keep it on the connection; None (and the name kept
    from before) when Graph cannot say. Caller commits."""
    try:
        name = client.get_page(config.page_id).get("name")
    except GraphError as error:
        log.info("config %s: page name not read (code %s)", config.id, error.code)
        return None
    if isinstance(name, str) and name.strip():
        config.page_name = name.strip()[:255]
        db.session.flush()
        return config.page_name
    return None


@dataclass(frozen=True)
class DiscoveredForm:
    form_id: str
    name: str
    status: str
    leads_count: int | None
    questions: list | None
    synced: bool


def discover_forms(config: MetaApiConfig, client: GraphClient) -> list[DiscoveredForm]:
    """The Page's lead forms on Meta, marked with whether we sync them; raises GraphError."""
    synced = {f.form_id for f in config.forms if f.is_active}
    return [
        DiscoveredForm(
            form_id=str(form.get("id")),
            name=str(form.get("name") or ""),
            status=str(form.get("status") or ""),
            leads_count=form.get("leads_count")
            if isinstance(form.get("leads_count"), int)
            else None,
            questions=form.get("questions") if isinstance(form.get("questions"), list) else None,
            synced=str(form.get("id")) in synced,
        )
        for form in client.list_forms(config.page_id)
        if ID_RE.match(str(form.get("id", "")))
    ]


def set_synced_forms(
    config: MetaApiConfig, discovered: list[DiscoveredForm], selected: set[str]
) -> tuple[int, int]:
    """Sync exactly the *selected* discovered forms (checkpoints of known forms are kept).
    Returns (started, stopped). Caller commits."""
    existing = {form.form_id: form for form in config.forms}
    taken = set(
        db.session.scalars(
            sa.select(MetaForm.form_id).where(
                MetaForm.form_id.in_(selected), MetaForm.config_id != config.id
            )
        )
    )
    if taken:
        raise ValidationError(
            _("Already synced by another connection: %(ids)s.", ids=", ".join(sorted(taken)))
        )
    started = stopped = 0
    for found in discovered:
        form, wanted = existing.get(found.form_id), found.form_id in selected
        if form is None:
            if not wanted:
                continue
            form = MetaForm(form_id=found.form_id, is_active=False)
            config.forms.append(form)
        started += wanted and not form.is_active
        stopped += form.is_active and not wanted
        form.is_active = wanted
        form.name, form.status_on_meta = found.name[:255] or form.name, found.status[:16] or None
        form.leads_count_on_meta, form.questions = found.leads_count, found.questions
    db.session.flush()
    return started, stopped
