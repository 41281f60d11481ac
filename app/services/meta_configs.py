"""Meta Page connections: creating them, reading their tokens, building their client."""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from flask import current_app

from app.crypto import decrypt_token, encrypt_token, rotate_token
from app.errors import ValidationError
from app.extensions import db
from app.meta.client import GraphClient
from app.models import Distributor, MetaApiConfig, MetaForm

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
        raise ValidationError("Page id must be the numeric id Meta shows for the Page.")
    bad = [f for f in form_ids if not ID_RE.match(f)]
    if bad or not form_ids:
        raise ValidationError("Give at least one form id; form ids are numeric.")
    taken = db.session.scalars(sa.select(MetaForm.form_id).where(MetaForm.form_id.in_(form_ids)))
    if taken_ids := list(taken):
        raise ValidationError(f"Form(s) already connected: {', '.join(taken_ids)}.")
    if not token.strip() or len(token) > 1024:
        raise ValidationError("The access token is missing or too long.")
    if not 1 <= interval <= 1440:
        raise ValidationError("The fetch interval must be between 1 and 1440 minutes.")
    if version is not None and not VERSION_RE.match(version):
        raise ValidationError("Graph API version looks like v25.0.")


def list_active_configs() -> list[MetaApiConfig]:
    return list(
        db.session.scalars(
            sa.select(MetaApiConfig).where(MetaApiConfig.is_active).order_by(MetaApiConfig.id)
        )
    )


def build_client(config: MetaApiConfig) -> GraphClient:
    """The Graph client for one config, from app settings and its decrypted token."""
    settings = current_app.config
    return GraphClient(
        decrypt_token(config.access_token_encrypted),
        base_url=settings["META_GRAPH_URL"],
        version=config.graph_api_version or settings["META_GRAPH_VERSION"],
        app_secret=settings["META_APP_SECRET"],
        timeout=settings["META_HTTP_TIMEOUT"],
        max_retries=settings["META_MAX_RETRIES"],
        backoff_s=settings["META_RETRY_BACKOFF_S"],
    )


def rotate_keys() -> int:
    """Re-encrypt every stored token with the first key. Caller commits."""
    configs = db.session.scalars(sa.select(MetaApiConfig)).all()
    for config in configs:
        config.access_token_encrypted = rotate_token(config.access_token_encrypted)
    return len(configs)


def read_token(config: MetaApiConfig) -> str:
    return decrypt_token(config.access_token_encrypted)
