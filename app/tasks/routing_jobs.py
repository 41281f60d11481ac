"""Every minute: flag missed first-contact targets, a batch per transaction."""

import logging
import time
from datetime import UTC, datetime

from app.database import writing
from app.extensions import db
from app.services import response_targets

log = logging.getLogger(__name__)


def check_response_targets(now: datetime | None = None, batch: int = 500) -> int:
    """Record every target missed by *now* (commits per batch); how many were missed."""
    started, total, rerouted = time.perf_counter(), 0, 0
    now = now or datetime.now(UTC)
    with writing():
        while True:
            result = response_targets.record_breaches(now, batch)
            db.session.commit()
            total, rerouted = total + result.breached, rerouted + result.rerouted
            if result.breached < batch:
                break
    if total:
        log.info(
            "job check response targets: %d missed, %d re-routed in %.2fs",
            total, rerouted, time.perf_counter() - started,
        )  # fmt: skip
    return total
