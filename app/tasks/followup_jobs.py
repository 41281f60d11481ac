"""Follow-ups falling due: each owner hears of theirs once (`task_due` to their own room),
a batch of claims per transaction."""

import logging
from datetime import UTC, datetime

from app import events
from app.extensions import db
from app.services import lead_tasks

log = logging.getLogger(__name__)


def announce_due(now: datetime | None = None, *, batch: int = 200) -> int:
    """Send `task_due` for every follow-up that fell due and was not announced; commits per
    batch. Returns how many notices went out."""
    now = now or datetime.now(UTC)
    sent = 0
    while True:
        claimed, notices = lead_tasks.claim_due(now, limit=batch)
        for notice in notices:
            payload = {
                "task_id": notice.task_id,
                "lead_id": notice.lead_id,
                "kind": notice.kind,
                "due_at": notice.due_at.isoformat(),
                "name": notice.name,
            }
            events.publish("task_due", payload, to=f"user:{notice.user_id}")
        db.session.commit()
        sent += len(notices)
        if claimed < batch:
            return sent
