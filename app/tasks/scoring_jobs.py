"""The rescoring loop (hourly decay, and everything after a change of rules): a batch of leads
per transaction, so a crash loses at most the batch in flight."""

import logging
from datetime import UTC, datetime

from app.database import writing
from app.extensions import db
from app.models import ScoringRescore
from app.services import lead_derived, lead_scoring, scoring_rescore, scoring_rules

log = logging.getLogger(__name__)


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


def rescore_now(rescore_id: int, batch: int = 500) -> None:
    """ "Rescore now": every stored lead with the rules in force, committing per batch so the
    scoring rules page can show the progress."""
    with writing():
        now = datetime.now(UTC)
        rescore = db.session.get(ScoringRescore, rescore_id)
        rules = scoring_rules.current_rules()
        scoring_rescore.start(rescore, rules, scoring_rules.current_version())
        db.session.commit()
        after: int | None = 0
        while after is not None:
            changed, read, after = lead_derived.rescore_stored(
                after, now=now, rules=rules, size=batch
            )
            scoring_rescore.record_batch(rescore, read, changed)
            db.session.commit()
        scoring_rescore.finish(rescore, rules)
        db.session.commit()
    log.info("rescore %s: %d of %d scores changed", rescore_id, rescore.changed, rescore.total)
