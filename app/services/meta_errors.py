"""A Graph failure on a Meta connection: in plain words (a message code + params, see
app/messages.py), and what it does to the connection (needs a new token, paused, failing)."""

from datetime import datetime, timedelta
from typing import Any

from app import messages
from app.meta.client import ErrorKind, GraphError
from app.models import ConfigStatus, MetaApiConfig
from app.services import alerts

DEFAULT_THROTTLE_PAUSE = timedelta(minutes=10)


def describe(error: GraphError, until: datetime | None = None) -> tuple[str, dict[str, Any]]:
    """The failure as a message code + params, with what to do about it."""
    if error.kind == ErrorKind.AUTH:
        return "meta_auth", {"code": error.code}
    if error.kind == ErrorKind.THROTTLED:
        if until is None:
            return "meta_throttled_soon", {"code": error.code}
        return "meta_throttled", {"code": error.code, "until": f"{until:%Y-%m-%d %H:%M} UTC"}
    if error.unreadable:
        return "meta_unreadable", {"reason": error.message}
    if error.code == 0:
        return "meta_unreachable", {"reason": error.message}
    return "meta_error", {"code": error.code, "message": error.message[:500]}


def explain(error: GraphError, now: datetime | None = None, until: datetime | None = None) -> str:
    """The failure in plain English words (the CLI, the logs, a stored text beside the code)."""
    return messages.english(*describe(error, until))


def record_config_error(
    config: MetaApiConfig, error: GraphError, now: datetime, *, failing: bool
) -> tuple[str, dict[str, Any]]:
    """Put a Graph failure on the config and return it as (code, params). A dead token always
    marks it needs_reauth; a throttle pauses the Page's poll (Meta counts calls per Page) without
    changing its status; *failing* False (one failed webhook fetch) leaves a healthy
    connection's status and last error alone. Caller commits."""
    until = None
    newly_dead = error.kind == ErrorKind.AUTH and config.status != ConfigStatus.NEEDS_REAUTH
    if error.kind == ErrorKind.AUTH:
        config.status = ConfigStatus.NEEDS_REAUTH
    elif error.kind == ErrorKind.THROTTLED:
        pause = timedelta(seconds=error.retry_after_s) if error.retry_after_s else None
        until = config.retry_after = now + (pause or DEFAULT_THROTTLE_PAUSE)
    elif failing:
        config.status = ConfigStatus.FAILING
    code, params = describe(error, until)
    if failing or error.kind == ErrorKind.AUTH:
        set_last_error(config, code, params)
    if newly_dead:
        alerts.alert_superadmins(config, "dead")
    return code, params


def set_last_error(config: MetaApiConfig, code: str | None, params: dict | None = None) -> None:
    """The connection's last problem (None clears it). Caller commits."""
    config.last_error = messages.english(code, params) if code else None
    config.last_error_code, config.last_error_params = code, (params if code else None)
