"""Recording access to lead data from routes (the access log): buffered, written by the
runner, so the page pays no insert."""

from typing import Any

from flask_login import current_user

from app import tasks
from app.models import AccessAction
from app.services.privacy import access_log
from app.tasks import privacy_jobs


def log_access(
    action: AccessAction, lead_id: int | None = None, detail: dict[str, Any] | None = None
) -> None:
    user_id = current_user.id if current_user.is_authenticated else None
    if access_log.record(user_id, action, lead_id=lead_id, detail=detail):
        tasks.submit("misc", privacy_jobs.write_access_log)
