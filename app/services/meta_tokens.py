"""The one token check: what Meta says of a connection's token (valid, its permissions, when it
expires), used by the connection test and by the daily check that records it and alerts."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app

from app.meta.client import ErrorKind, GraphClient, GraphError
from app.models import MetaApiConfig
from app.services import alerts, meta_configs
from app.services.meta_errors import explain, record_config_error

log = logging.getLogger(__name__)
REQUIRED_SCOPES = (
    "leads_retrieval",
    "pages_show_list",
    "pages_read_engagement",
    "pages_manage_ads",
)
EXPIRY_WARNING = timedelta(days=7)


@dataclass(frozen=True)
class TokenReport:
    state: str  # ok | expiring | dead | unknown
    detail: str  # in plain words, with what to do
    expires_at: datetime | None = None
    error: GraphError | None = None
    missing_scopes: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        """Good enough to sync leads: valid, with the lead permissions."""
        return self.state in ("ok", "expiring") and not self.missing_scopes


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


def inspect_token(
    config: MetaApiConfig, client: GraphClient, debugger: GraphClient | None
) -> TokenReport:
    """Ask Meta about *config*'s token: /debug_token with the app token when the app id is
    configured (permissions and expiry), else /me (does it work at all)."""
    now = datetime.now(UTC)
    try:
        if debugger is None:
            me = client.get_me()
            owner = me.get("name", me.get("id"))
            return TokenReport(
                "ok",
                f"The token works (it belongs to “{owner}”). "
                "Set META_APP_ID to also check its permissions and expiry.",
            )
        data = debugger.debug_token(meta_configs.read_token(config))
    except GraphError as error:
        state = "dead" if error.kind == ErrorKind.AUTH else "unknown"
        return TokenReport(state, explain(error, now), error=error)
    if not data.get("is_valid"):
        error = GraphError(190, None, "token is no longer valid", ErrorKind.AUTH)
        detail = "Meta says the token is no longer valid: paste a new Page access token."
        return TokenReport("dead", detail, error=error)
    expires = data.get("expires_at")
    expires_at = datetime.fromtimestamp(int(expires), UTC) if expires else None
    state = "expiring" if expires_at and expires_at - now < EXPIRY_WARNING else "ok"
    missing = tuple(s for s in REQUIRED_SCOPES if s not in (data.get("scopes") or []))
    if missing:
        detail = (
            f"The token lacks permission(s) {', '.join(missing)}: "
            "create it again with these granted."
        )
        return TokenReport(state, detail, expires_at, missing_scopes=missing)
    kind = str(data.get("type", "")).lower()
    detail = f"Valid {kind} token with the lead permissions; {expiry_words(expires_at)}."
    return TokenReport(state, detail, expires_at)


def expiry_words(expires_at: datetime | None) -> str:
    if expires_at is None:
        return "it does not expire"
    return f"it expires on {expires_at:%d %b %Y}"


def check_token(config: MetaApiConfig, client: GraphClient, debugger: GraphClient | None) -> str:
    """The daily check of one config's token: record what Meta says and alert superadmins when
    it is dead or about to expire. Returns the report's state. Caller commits."""
    now = datetime.now(UTC)
    report = inspect_token(config, client, debugger)
    config.token_checked_at = now
    if report.state == "dead":
        record_config_error(config, report.error, now, failing=True)  # alerts once
    elif report.state == "unknown" and report.error is not None:
        log.warning("token check of config %s: code=%s", config.id, report.error.code)
    else:
        config.token_expires_at = report.expires_at
    if report.state == "expiring":
        alerts.alert_superadmins(config, "expiring")
    return report.state
