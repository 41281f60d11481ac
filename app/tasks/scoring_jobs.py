"""The rescoring loop (hourly decay, and everything after a change of rules): a batch of leads
per transaction, so a crash loses at most the batch in flight."""

from datetime import UTC, datetime

from app.extensions import db
from app.services import lead_scoring


def rescore(*, freshness_only: bool = False, now: datetime | None = None, batch: int = 1000) -> int:
    """Rescore every lead (or only the decay of recent ones); commits per batch. Returns how
    many scores changed."""
    now = now or datetime.now(UTC)
    changed, after = 0, 0
    while True:
        done, last = lead_scoring.rescore_batch(
            after, now=now, freshness_only=freshness_only, size=batch
        )
        db.session.commit()
        if last is None:
            return changed
        changed, after = changed + done, last
