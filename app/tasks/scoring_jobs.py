"""The rescoring loop (hourly decay, and everything after a change of rules): a batch of leads
per transaction, so a crash loses at most the batch in flight."""

from datetime import UTC, datetime

from app.extensions import db
from app.services import lead_scoring, scoring_rules


def rescore(*, freshness_only: bool = False, now: datetime | None = None, batch: int = 1000) -> int:
    """Rescore every lead (or only the decay of recent ones) with the rules in force; commits
    per batch. Returns how many scores changed."""
    now = now or datetime.now(UTC)
    rules = scoring_rules.current_rules()
    changed, after = 0, 0
    while True:
        done, _read, last = lead_scoring.rescore_batch(
            after, now=now, rules=rules, freshness_only=freshness_only, size=batch
        )
        db.session.commit()
        if last is None:
            return changed
        changed, after = changed + done, last
